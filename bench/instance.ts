import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Session } from 'node:inspector/promises'
import { loadConfig } from '../plugins/config.js'
import { buildApp } from '../src/build-app.js'
import { asyncDestination } from '../src/logger.js'
import { announce, onShutdown } from './lib/child.js'
import { OUT_DIR } from './lib/proc.js'

// tsx turns source maps on for stack traces; compiled code in production runs without them.
process.setSourceMapsEnabled(false)

// One service instance, configured only by its environment (as src/server.ts), on an ephemeral
// port; logs go to stderr (the launcher files them) so stdout carries only the READY line.
const config = loadConfig(process.env)
const app = buildApp({ config, logStream: asyncDestination(2) })

// BENCH_PROFILE=1: a CPU profile of the whole life of the instance, for Chrome DevTools.
const profiler = process.env.BENCH_PROFILE === '1' ? new Session() : undefined
if (profiler) {
  profiler.connect()
  await profiler.post('Profiler.enable')
  await profiler.post('Profiler.start')
}

onShutdown(async () => {
  await app.close()
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop')
    const file = join(OUT_DIR, `instance-${process.pid}.cpuprofile`)
    writeFileSync(file, JSON.stringify(profile))
    process.stderr.write(`CPU profile written to ${file}\n`)
  }
})
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
if (!address || typeof address !== 'object') throw new Error('no address')
await announce('READY', { url: `http://127.0.0.1:${address.port}`, pid: process.pid })
