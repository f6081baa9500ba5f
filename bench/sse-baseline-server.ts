import type { ServerResponse } from 'node:http'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import Fastify from 'fastify'
import { fakeAction } from '../test/support/events.js'
import { announce, onShutdown } from './lib/child.js'
import { nowMs, type ServerMemory, type TriggerResult } from './lib/sse-protocol.js'

// tsx turns source maps on for stack traces; compiled code in production runs without them.
process.setSourceMapsEnabled(false)
// A full GC on demand (GET /mem?gc=1) without a node flag the launcher would have to pass.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/**
 * The SSE baseline: bare Fastify, no logger, no plugins. `GET /events` answers the headers the
 * service's stream answers, a `ready` frame like the service's, and keeps the response in a Set;
 * `POST /broadcast` writes one `action` frame, the same record as the service's bench emits
 * (test/support/events.ts `fakeAction`), to every stream and answers when it has. No auth, no
 * event log, no per-stream bookkeeping beyond the Set: what any SSE server must at least pay.
 */

const PROJECT_ID = process.env.BENCH_SSE_PROJECT ?? 'bench-sse'
const RETRY_MS = 3000
const streams = new Set<ServerResponse>()
let seq = 0

const frame = (event: string, data: unknown, id: number) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`

const app = Fastify({ logger: false })

app.get('/events', async (_request, reply) => {
  reply.hijack()
  const raw = reply.raw
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store, no-transform',
    'x-accel-buffering': 'no',
    vary: 'Accept-Encoding, Authorization, Cookie'
  })
  raw.write(`retry: ${RETRY_MS}\n${frame('ready', { position: seq }, seq)}`)
  streams.add(raw)
  raw.on('close', () => streams.delete(raw))
})

app.post('/broadcast', async (): Promise<TriggerResult> => {
  const receivedAt = nowMs()
  seq++
  const text = frame('action', fakeAction(PROJECT_ID, seq), seq)
  for (const raw of streams) raw.write(text)
  // Node's http corks each response on write and uncorks it on the next tick: the frames reach
  // the kernel (writev per socket) only then, so "written" is after the ticks, at setImmediate.
  await new Promise((resolve) => setImmediate(resolve))
  return { seq, frameBytes: Buffer.byteLength(text), streams: streams.size, receivedAt, writtenAt: nowMs() }
})

app.get('/mem', async (request): Promise<ServerMemory> => {
  if ((request.query as { gc?: string }).gc === '1') { gc(); gc() }
  return { ...process.memoryUsage(), openStreams: streams.size }
})

await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
if (!address || typeof address !== 'object') throw new Error('no address')
onShutdown(async () => {
  for (const raw of streams) raw.destroy()
  await app.close()
})
await announce('READY', { url: `http://127.0.0.1:${address.port}`, pid: process.pid })
