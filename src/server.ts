import closeWithGrace from 'close-with-grace'
import { loadConfig, ConfigError } from '../plugins/config.js'
import { buildApp } from './build-app.js'
import { startTelemetry } from './telemetry.js'

// The thin entry: configuration, one app, graceful shutdown, listen. Everything else is the app.
let config
try {
  config = loadConfig(process.env)
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`integration-status: configuration error: ${error.message}\n`)
  process.exit(78) // EX_CONFIG
}

const tracing = startTelemetry(process.env)
const app = buildApp({ config })

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
  // Flushes the spans still in the batch processor.
  await tracing?.shutdown()
})

try {
  await app.listen({ port: config.port, host: config.host })
} catch (error) {
  // Provider variables are checked as each provider registers, during boot: the same exit as above.
  if (error instanceof ConfigError) {
    process.stderr.write(`integration-status: configuration error: ${error.message}\n`)
    await tracing?.shutdown()
    process.exit(78)
  }
  app.log.fatal({ err: error }, 'failed to start')
  process.exit(1)
}
