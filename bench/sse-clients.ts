import { createServer } from 'node:http'
import { connect, type Socket } from 'node:net'
import { announce, onShutdown } from './lib/child.js'
import { nowMs, type ClientSpec, type ClientsReady, type WaitResult } from './lib/sse-protocol.js'

// tsx turns source maps on for stack traces; nothing here needs them.
process.setSourceMapsEnabled(false)

/**
 * N event-stream clients in one process: raw HTTP/1.1 over node:net (a socket, its closures and
 * a few typed-array slots each), opened `concurrency` at a time. Prints `READY <ClientsReady>` once every
 * client has its `ready` frame or has failed, then records, per client, when each `action` frame
 * arrived; a small control server on loopback answers the orchestrator (GET /clock, GET /wait).
 *
 * Frames are found, not parsed: `event: action\n` can only be a field line, since a `data:` line
 * of JSON holds no raw newline, and a frame is one write, so one HTTP chunk. The last bytes of a
 * read that ends mid-chunk are kept, so a marker split across two reads still counts once.
 *
 * Usage: sse-clients.ts '<ClientSpec as JSON>'
 */

const spec = JSON.parse(process.argv[2] ?? '') as ClientSpec
const target = new URL(spec.url)
if (target.protocol !== 'http:') throw new Error(`sse-clients: http URLs only, got ${spec.url}`)
const host = target.hostname
const port = Number(target.port || 80)
const requestText = [
  `GET ${target.pathname}${target.search} HTTP/1.1`,
  `Host: ${target.host}`,
  'Accept: text/event-stream',
  ...Object.entries(spec.headers).map(([name, value]) => `${name}: ${value}`),
  '',
  ''
].join('\r\n')

const N = spec.count
const E = spec.events
const CONNECTING = 1
const READY = 2
const FAILED = 3
const DROPPED = 4
const state = new Uint8Array(N)
const actionCount = new Int32Array(N)
const arrivals = new Float64Array(N * E).fill(NaN)
/** Open clients holding action event k. */
const received = new Int32Array(E)
const sockets: Array<Socket | undefined> = new Array(N)
const errors: Record<string, number> = {}
let next = 0
let inFlight = 0
let ready = 0
let failed = 0
let dropped = 0
let statusFrames = 0
let stopping = false
let firstConnectAt = NaN
let lastReadyAt = NaN
let openingDone: () => void = () => {}
const opened = new Promise<void>((resolve) => { openingDone = resolve })

const ACTION = 'event: action\n'
const READY_MARK = 'event: ready\n'
const STATUS = 'event: status\n'
const MARKERS = [ACTION, READY_MARK, STATUS]
/** Longest marker − 1: what a read may have to keep for the next one. */
const KEEP = Math.max(...MARKERS.map((m) => m.length)) - 1

const count = (reason: string) => { errors[reason] = (errors[reason] ?? 0) + 1 }

function settled () {
  if (next >= N && inFlight === 0) openingDone()
}

function openMore () {
  if (!stopping) while (inFlight < spec.concurrency && next < N) open(next++)
  settled()
}

function fail (i: number, reason: string) {
  const was = state[i]
  if (was === CONNECTING) {
    state[i] = FAILED
    failed++
    inFlight--
    count(reason)
    openMore()
  } else if (was === READY) {
    state[i] = DROPPED
    dropped++
    count(`closed after ready: ${reason}`)
    // `received` counts open clients only; the arrivals it had stay for the latencies.
    for (let k = 0; k < Math.min(actionCount[i]!, E); k++) received[k]!--
    checkWaiters()
  }
  sockets[i]?.destroy()
  sockets[i] = undefined
}

// Every read lands in this one buffer and is scanned before the next: no allocation, no stream
// machinery per read, so the clients' own cost (part of every latency) stays as small as it can.
const readBuffer = Buffer.alloc(64 * 1024)
const EVENT = Buffer.from('event: ', 'latin1')

/** Finds the markers in `view` (the tail of the last read, then this read); returns where the tail starts. */
function scan (i: number, view: Buffer, at: number) {
  let end = 0
  let p = view.indexOf(EVENT)
  while (p !== -1) {
    const text = view.toString('latin1', p, p + KEEP + 1)
    if (text.startsWith(ACTION)) {
      end = p + ACTION.length
      const k = actionCount[i]!++
      if (k < E && state[i] === READY) {
        arrivals[i * E + k] = at
        received[k]!++
        if (received[k]! >= live()) checkWaiters()
      }
    } else if (text.startsWith(READY_MARK)) {
      end = p + READY_MARK.length
      if (state[i] === CONNECTING) {
        state[i] = READY
        ready++
        inFlight--
        lastReadyAt = at
        openMore()
      }
    } else if (text.startsWith(STATUS)) {
      end = p + STATUS.length
      statusFrames++
    } else if (text.length <= KEEP && MARKERS.some((marker) => marker.startsWith(text))) {
      break // unfinished at the end of the read: kept for the next one
    } else {
      end = p + EVENT.length // another event (reset)
    }
    p = view.indexOf(EVENT, end)
  }
  return end
}

function open (i: number) {
  inFlight++
  state[i] = CONNECTING
  if (Number.isNaN(firstConnectAt)) firstConnectAt = nowMs()
  let head = true
  let tail: Buffer | undefined
  const socket = connect({
    host,
    port,
    onread: {
      buffer: readBuffer,
      callback (bytes) {
        const at = nowMs()
        let view = readBuffer.subarray(0, bytes)
        if (tail) {
          view = Buffer.concat([tail, view])
          tail = undefined
        }
        if (head) {
          if (view.length < 12) { tail = Buffer.from(view); return true }
          if (view.toString('latin1', 0, 12) !== 'HTTP/1.1 200') {
            fail(i, `HTTP ${view.toString('latin1', 9, 12)}`)
            return false
          }
          head = false
        }
        const end = scan(i, view, at)
        // A read that ends a chunk (a frame, then CRLF) cannot split a marker: nothing to keep.
        const from = Math.max(end, view.length - KEEP)
        if (from < view.length && !(view[view.length - 1] === 10 && view[view.length - 2] === 13 && view[view.length - 3] === 10)) {
          tail = Buffer.from(view.subarray(from))
        }
        return true
      }
    }
  })
  sockets[i] = socket
  socket.setNoDelay(true)
  socket.once('connect', () => { socket.write(requestText) })
  socket.on('error', (error: NodeJS.ErrnoException) => { if (!stopping) fail(i, error.code ?? error.message) })
  socket.on('close', () => { if (!stopping) fail(i, 'closed by the server') })
}

const live = () => ready - dropped

// One wait at a time per event index is all the orchestrator does; a list keeps it simple.
const waiters: Array<{ k: number, done: () => void }> = []
function checkWaiters () {
  for (let w = waiters.length - 1; w >= 0; w--) {
    const waiter = waiters[w]!
    if (received[waiter.k]! >= live()) {
      waiters.splice(w, 1)
      waiter.done()
    }
  }
}

function waitFor (k: number, timeoutMs: number) {
  return new Promise<void>((resolve) => {
    if (received[k]! >= live()) { resolve(); return }
    const timer = setTimeout(() => {
      const index = waiters.indexOf(waiter)
      if (index !== -1) waiters.splice(index, 1)
      resolve()
    }, timeoutMs)
    const waiter = { k, done: () => { clearTimeout(timer); resolve() } }
    waiters.push(waiter)
  })
}

const control = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://control')
  const reply = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' })
    response.end(JSON.stringify(body))
  }
  if (url.pathname === '/clock') {
    reply(200, { now: nowMs() })
    return
  }
  if (url.pathname === '/wait') {
    const k = Number(url.searchParams.get('k'))
    const trigger = Number(url.searchParams.get('trigger'))
    const timeoutMs = Number(url.searchParams.get('timeoutMs') ?? 30_000)
    if (!Number.isInteger(k) || k < 0 || k >= E || !Number.isFinite(trigger)) {
      reply(400, { error: `k must be 0…${E - 1} and trigger an instant` })
      return
    }
    waitFor(k, timeoutMs).then(() => {
      const latencies: number[] = []
      for (let i = 0; i < N; i++) {
        const at = arrivals[i * E + k]!
        if (!Number.isNaN(at)) latencies.push(Math.round((at - trigger) * 1000) / 1000)
      }
      const result: WaitResult = { latencies, missing: Math.max(0, live() - received[k]!), live: live(), dropped, statusFrames }
      reply(200, result)
    }, (error: unknown) => reply(500, { error: String(error) }))
    return
  }
  reply(404, { error: 'GET /clock or /wait' })
})

onShutdown(async () => {
  stopping = true
  for (const socket of sockets) socket?.destroy()
  control.closeAllConnections()
  await new Promise<void>((resolve) => control.close(() => resolve()))
})

await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve))
const address = control.address()
if (!address || typeof address !== 'object') throw new Error('no control address')

const deadline = setTimeout(() => {
  // Whatever has not opened by now counts as failed; nothing more is started.
  next = N
  for (let i = 0; i < N; i++) if (state[i] === CONNECTING) fail(i, `open timeout (${spec.openTimeoutS} s)`)
  settled()
}, spec.openTimeoutS * 1000)
openMore()
await opened
clearTimeout(deadline)

const result: ClientsReady = {
  control: `http://127.0.0.1:${address.port}`,
  pid: process.pid,
  requested: N,
  ready,
  failed,
  errors,
  openMs: ready > 0 ? lastReadyAt - firstConnectAt : NaN
}
await announce('READY', result)
