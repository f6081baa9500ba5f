import { setTimeout as sleep } from 'node:timers/promises'
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

const { graceMs, timeoutMs } = config.shutdown
// The drain: not ready at once (balancers stop sending work), still serving for the grace (they
// notice late), then closed: streams end with a retry hint so clients resume elsewhere from their
// last event id, open requests finish, running actions finish or are handed back. Past the
// timeout (plus a margin for the hooks) the process exits anyway.
closeWithGrace({ delay: graceMs + timeoutMs + 5_000 }, async ({ signal, err }) => {
  app.drain.begin()
  if (err) {
    app.log.error({ err }, 'shutting down after an error')
  } else {
    app.log.info({ signal, graceMs }, 'shutting down: draining (not ready, still serving until the grace ends)')
    if (graceMs > 0) await sleep(graceMs)
    app.log.info('grace over: no new requests or streams')
  }
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
