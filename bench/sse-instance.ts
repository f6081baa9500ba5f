import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { loadConfig } from '../plugins/config.js'
import { buildApp } from '../src/build-app.js'
import { asyncDestination } from '../src/logger.js'
import { frameFor } from '../src/events/stream.js'
import type { LoggedEvent } from '../src/events/event-log.js'
import { fakeAction } from '../test/support/events.js'
import { announce, onShutdown } from './lib/child.js'
import { nowMs, type ServerMemory, type TriggerResult } from './lib/sse-protocol.js'

// tsx turns source maps on for stack traces; compiled code in production runs without them.
process.setSourceMapsEnabled(false)
// A full GC on demand (GET /__bench/mem?gc=1) without a node flag the launcher would have to pass.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/**
 * One service instance for the SSE benchmark, configured by its environment like
 * bench/instance.ts, plus two bench-only routes that exist in this script only:
 *
 * - `POST /__bench/emit?projectId=` writes one action event and announces it exactly as the
 *   action store does (test/support/events.ts `emit`), and answers once every stream of the
 *   project has handed the frame to its socket: a hub listener joined after the clients (so the
 *   last one called) notes when delivery reached it, then waits for the uncork ticks.
 * - `GET /__bench/mem[?gc=1]`: process.memoryUsage() and `app.events.openStreams()`.
 */

const config = loadConfig(process.env)
const app = buildApp({ config, logStream: asyncDestination(2) })

const delivered = new Map<number, (at: number) => void>()
const tapped = new Map<string, Promise<unknown>>()
let n = 0

/** Joins the project's channel once, after the clients did: its delivery ends each fan-out. */
function tap (projectId: string) {
  let joined = tapped.get(projectId)
  if (!joined) {
    joined = app.events.hub.join(projectId, {
      deliver (event: LoggedEvent) {
        const done = delivered.get(event.seq)
        if (done) {
          delivered.delete(event.seq)
          // Node's http corks each response on write and uncorks it on the next tick: the frames
          // reach the kernel only then, so "written" is after those ticks, at setImmediate.
          setImmediate(() => done(nowMs()))
        }
      }
    })
    tapped.set(projectId, joined)
  }
  return joined
}

app.register(async function benchRoutes (bench) {
  bench.post('/__bench/emit', async (request): Promise<TriggerResult> => {
    const receivedAt = nowMs()
    const { projectId } = request.query as { projectId?: string }
    if (!projectId) throw new Error('projectId query parameter required')
    await tap(projectId)
    const action = fakeAction(projectId, ++n)
    const event = await app.db.transaction().execute((trx) => app.events.log.appendAction(trx, action))
    const committedAt = nowMs()
    const written = new Promise<number>((resolve) => {
      delivered.set(event.seq, resolve)
      setTimeout(() => {
        if (delivered.delete(event.seq)) resolve(NaN)
      }, 30_000).unref()
    })
    app.events.announce(event)
    const writtenAt = await written
    return {
      seq: event.seq,
      frameBytes: Buffer.byteLength(frameFor(event, 'owner')?.text ?? ''),
      streams: app.events.openStreams(),
      receivedAt,
      committedAt,
      writtenAt
    }
  })

  bench.get('/__bench/mem', async (request): Promise<ServerMemory> => {
    if ((request.query as { gc?: string }).gc === '1') { gc(); gc() }
    return { ...process.memoryUsage(), openStreams: app.events.openStreams() }
  })
})

onShutdown(() => app.close())
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
if (!address || typeof address !== 'object') throw new Error('no address')
await announce('READY', { url: `http://127.0.0.1:${address.port}`, pid: process.pid })
