import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { signToken } from '../src/lib/tokens.js'
import { launch, installSignalHandlers, stopAll, wasInterrupted, HAS_TASKSET, BENCH_DIR, LOG_DIR, OUT_DIR, type Launched } from './lib/proc.js'
import { loadOptions, num } from './lib/options.js'
import { machine, table } from './lib/report.js'
import { percentile, spread, sum, type Spread } from './lib/stats.js'
import { nowMs, type ClientSpec, type ClientsReady, type ServerMemory, type ServerReady, type TriggerResult, type WaitResult } from './lib/sse-protocol.js'

/**
 * `npm run bench:sse` (and the last step of `npm run bench`): how many event streams one service
 * instance holds, what each costs in memory, and how long one event takes to reach all of them,
 * each beside a bare Fastify SSE server measured in the same run (bench/sse-baseline-server.ts).
 * Replaces the `<!-- sse:start -->…<!-- sse:end -->` section of docs/performance.md (bench/run.ts
 * rewrites that file first), or of bench/.out/performance-quick.md with BENCH_QUICK=1.
 * Exit code 0 whatever the figures say; non-zero only when the harness itself breaks.
 */

type Kind = 'service' | 'baseline'

const base = loadOptions()
const quick = base.quick
const TARGET_STREAMS = 10_000
const DOCS_FILE = resolve(BENCH_DIR, '..', 'docs', 'performance.md')
const START = '<!-- sse:start -->'
const END = '<!-- sse:end -->'

const clients = Math.round(num('BENCH_SSE_CLIENTS', quick ? 1_000 : TARGET_STREAMS, 1))
const o = {
  quick,
  clients,
  reps: Math.round(num('BENCH_SSE_REPS', quick ? 1 : 3, 1)),
  events: Math.round(num('BENCH_SSE_EVENTS', quick ? 3 : 10, 1)),
  warmupEvents: Math.round(num('BENCH_SSE_WARMUP_EVENTS', 1, 0)),
  perProcess: Math.round(num('BENCH_SSE_PER_PROCESS', 10_000, 1)),
  concurrency: Math.round(num('BENCH_SSE_CONCURRENCY', 100, 1)),
  openTimeoutS: num('BENCH_SSE_OPEN_TIMEOUT_S', Math.max(60, clients / 50), 1),
  eventTimeoutS: num('BENCH_SSE_EVENT_TIMEOUT_S', 30, 1),
  /** Pause between events, and before each memory reading. */
  gapMs: num('BENCH_SSE_GAP_MS', 300, 0),
  serverCpu: base.serverCpu,
  loadCpu: base.loadCpu,
  logLevel: base.logLevel,
  out: resolve(process.env.BENCH_OUT ?? (quick ? join(OUT_DIR, 'performance-quick.md') : DOCS_FILE))
}
if (o.quick && o.out === DOCS_FILE) throw new Error('BENCH_QUICK=1 never writes docs/performance.md: a smoke run is not a measurement (unset BENCH_OUT)')

const runId = Date.now().toString(36) + randomBytes(2).toString('hex')
const startedAt = new Date()
const log = (message: string) => process.stderr.write(`[bench:sse ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${message}\n`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const notes: string[] = []

installSignalHandlers()

// ---------------------------------------------------------------------------------------------
// One measurement: a fresh server, N clients, memory before and after, then one event at a time.

interface EventResult {
  seq: number
  frameBytes: number
  /** Streams the server wrote to. */
  streams: number
  received: number
  missing: number
  /** Latencies (ms after the trigger) over the streams that got the event. */
  first: number
  p50: number
  p99: number
  max: number
  /** ms from the trigger until the server had handed the frame to every socket's kernel buffer. */
  writtenMs: number
  /** ms from the trigger until the server began handling the trigger request. */
  requestMs: number
  /** Service: ms from the trigger until the event's transaction committed. */
  commitMs: number
}

interface Run {
  kind: Kind
  rep: number
  order: string
  requested: number
  opened: number
  failed: number
  dropped: number
  errors: Record<string, number>
  openMs: number
  before: ServerMemory
  /** After the first half of the streams opened. */
  mid: ServerMemory
  after: ServerMemory
  /** RSS growth over the last half ÷ its streams. */
  rssMarginalKB: number
  rssPerStreamKB: number
  heapPerStreamKB: number
  warmups: EventResult[]
  events: EventResult[]
  statusFrames: number
  /** Largest |clock offset| between this process and a client process, and the ping's RTT. */
  clock: { offsetMs: number, rttMs: number }
}

async function getJson<T> (url: string, init: RequestInit = {}, timeoutMs = 30_000): Promise<T> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }).catch((error: unknown) => {
    throw new Error(`${init.method ?? 'GET'} ${url}: ${(error as Error).message}`)
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text) as T
}

/** The client process's clock minus ours, from the ping with the shortest round trip. */
async function clockOffset (control: string) {
  let best = { offsetMs: 0, rttMs: Infinity }
  for (let i = 0; i < 7; i++) {
    const t0 = nowMs()
    const { now } = await getJson<{ now: number }>(`${control}/clock`)
    const t1 = nowMs()
    if (t1 - t0 < best.rttMs) best = { offsetMs: now - (t0 + t1) / 2, rttMs: t1 - t0 }
  }
  return best
}

function serverEnvironment (secret: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: o.logLevel,
    HOST: '127.0.0.1',
    PORT: '0',
    AUTH_JWT_SECRET: secret,
    CREDENTIALS_KEY: randomBytes(32).toString('base64'),
    // Embedded backends: PGlite in memory, in-process pub/sub, locks and cache.
    DATABASE_URL: '',
    DATA_DIR: 'memory://',
    REDIS_URL: '',
    // Heartbeats would add one write per stream during the measurement; the maximum is 5 min.
    SSE_HEARTBEAT_MS: '300000'
  }
}

async function measure (kind: Kind, rep: number, order: string): Promise<Run> {
  const projectId = `bench-sse-${runId}`
  const secret = randomBytes(32).toString('base64url')
  const server = launch(`sse-${kind}-${runId}-r${rep}`, kind === 'service' ? 'sse-instance.ts' : 'sse-baseline-server.ts', {
    cpu: o.serverCpu,
    env: kind === 'service' ? serverEnvironment(secret) : { BENCH_SSE_PROJECT: projectId }
  })
  const children: Launched[] = []
  try {
    const { url } = await server.ready as ServerReady
    const memUrl = `${url}${kind === 'service' ? '/__bench/mem' : '/mem'}`
    const streamUrl = kind === 'service' ? `${url}/api/integrations/events?projectId=${encodeURIComponent(projectId)}` : `${url}/events`
    const triggerUrl = kind === 'service' ? `${url}/__bench/emit?projectId=${encodeURIComponent(projectId)}` : `${url}/broadcast`
    // The same request bytes to both servers; the baseline ignores the token.
    const jwt = signToken(secret, { sub: 'u_bench_sse', roles: { [projectId]: 'owner' } }, { expiresInSeconds: 3600 })
    const headers = { authorization: `Bearer ${jwt}` }

    // Memory is read with no stream, after the first half of the clients and after all of them.
    // Per-stream figures divide by the server's own count (the service counts a stream in onOpen),
    // which should agree with the clients'; when it does not within 10 s, that is reported.
    const readMemory = async (expected: number) => {
      const deadline = Date.now() + 10_000
      let counted = (await getJson<ServerMemory>(memUrl)).openStreams
      while (counted !== expected && Date.now() < deadline) {
        await sleep(100)
        counted = (await getJson<ServerMemory>(memUrl)).openStreams
      }
      if (counted !== expected) {
        notes.push(`rep ${rep} ${kind}: the server counted ${counted} open streams where the clients had ${expected}.`)
        log(`WARNING ${notes.at(-1)}`)
      }
      await sleep(o.gapMs)
      return getJson<ServerMemory>(`${memUrl}?gc=1`)
    }
    const before = await readMemory(0)

    const total = o.events + o.warmupEvents
    // Two phases (two groups of client processes), so the marginal cost of the second half can
    // be told apart from what the first streams take from memory the server had already committed.
    const processes = Math.max(2, Math.ceil(o.clients / o.perProcess))
    const counts = Array.from({ length: processes }, (_, p) => Math.floor(o.clients / processes) + (p < o.clients % processes ? 1 : 0))
    const firstGroup = Math.ceil(processes / 2)
    const phases = [counts.slice(0, firstGroup), counts.slice(firstGroup)]
    const opened: ClientsReady[] = []
    const readings: ServerMemory[] = []
    let openMs = 0
    for (const [phase, group] of phases.entries()) {
      const launched = group.map((count, g) => {
        const spec: ClientSpec = {
          url: streamUrl,
          headers,
          count,
          concurrency: Math.max(1, Math.round(o.concurrency / group.length)),
          events: total,
          openTimeoutS: o.openTimeoutS
        }
        const child = launch(`sse-clients-${kind}-${runId}-r${rep}-${phase}${g}`, 'sse-clients.ts', { cpu: o.loadCpu, args: [JSON.stringify(spec)], readyTimeoutS: o.openTimeoutS + 60 })
        children.push(child)
        return child
      })
      const results = await Promise.all(launched.map((c) => c.ready)) as ClientsReady[]
      opened.push(...results)
      openMs += Math.max(...results.map((c) => c.openMs ?? 0))
      const soFar = sum(opened.map((c) => c.ready))
      if (soFar === 0) break
      readings.push(await readMemory(soFar))
    }
    const ready = sum(opened.map((c) => c.ready))
    const failed = sum(opened.map((c) => c.failed))
    const errors: Record<string, number> = {}
    for (const c of opened) for (const [why, count] of Object.entries(c.errors)) errors[why] = (errors[why] ?? 0) + count
    const errorText = Object.entries(errors).map(([why, count]) => `${count} × ${why}`).join(', ')
    log(`rep ${rep} ${kind}: ${ready} of ${o.clients} streams open in ${(openMs / 1000).toFixed(1)} s${failed ? `, ${failed} failed (${errorText})` : ''}`)
    if (ready === 0) throw new Error(`${kind}: no stream opened (${errorText || 'no error recorded'}); see ${relative(process.cwd(), server.logFile)}`)
    const mid = readings[0]!
    const after = readings.at(-1)!
    const streams = after.openStreams
    const marginal = readings.length === 2 && streams > mid.openStreams ? (after.rss - mid.rss) / (streams - mid.openStreams) / 1024 : NaN
    log(`rep ${rep} ${kind}: RSS ${mb(before.rss)} → ${mb(mid.rss)} (${mid.openStreams} streams) → ${mb(after.rss)} MB, heap used ${mb(before.heapUsed)} → ${mb(after.heapUsed)} MB` +
      ` (heap total ${mb(before.heapTotal)} → ${mb(after.heapTotal)} MB): ${((after.rss - before.rss) / streams / 1024).toFixed(1)} KB RSS per stream, ${marginal.toFixed(1)} KB for each of the last ${streams - mid.openStreams}`)

    const controls = opened.map((c) => c.control)
    const offsets = await Promise.all(controls.map(clockOffset))
    const clock = {
      offsetMs: Math.max(...offsets.map((x) => Math.abs(x.offsetMs))),
      rttMs: Math.max(...offsets.map((x) => x.rttMs))
    }

    const results: EventResult[] = []
    let last: WaitResult[] = []
    for (let k = 0; k < total; k++) {
      await sleep(o.gapMs)
      const trigger = nowMs()
      const answer = await getJson<TriggerResult>(triggerUrl, { method: 'POST' }, o.eventTimeoutS * 1000)
      last = await Promise.all(controls.map((control) => getJson<WaitResult>(
        `${control}/wait?k=${k}&trigger=${trigger}&timeoutMs=${o.eventTimeoutS * 1000}`, {}, (o.eventTimeoutS + 10) * 1000)))
      const latencies = last.flatMap((w) => w.latencies).sort((a, b) => a - b)
      const result: EventResult = {
        seq: answer.seq,
        frameBytes: answer.frameBytes,
        streams: answer.streams,
        received: latencies.length,
        missing: sum(last.map((w) => w.missing)),
        first: latencies[0] ?? NaN,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        max: latencies.at(-1) ?? NaN,
        writtenMs: answer.writtenAt - trigger,
        requestMs: answer.receivedAt - trigger,
        commitMs: answer.committedAt === undefined ? NaN : answer.committedAt - trigger
      }
      results.push(result)
      const warm = k < o.warmupEvents
      log(`rep ${rep} ${kind} event ${warm ? `(warm-up ${k + 1})` : k - o.warmupEvents + 1}: ${result.received} streams, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, last ${result.max.toFixed(1)} ms` +
        `${result.missing ? `, ${result.missing} MISSING` : ''} (request in at ${result.requestMs.toFixed(1)} ms, written by ${result.writtenMs.toFixed(1)} ms${kind === 'service' ? `, committed at ${result.commitMs.toFixed(1)} ms` : ''}; ${result.frameBytes} B frame)`)
    }
    return {
      kind,
      rep,
      order,
      requested: o.clients,
      opened: ready,
      failed,
      dropped: sum(last.map((w) => w.dropped)),
      errors,
      openMs,
      before,
      mid,
      after,
      rssMarginalKB: marginal,
      rssPerStreamKB: (after.rss - before.rss) / streams / 1024,
      heapPerStreamKB: (after.heapUsed - before.heapUsed) / streams / 1024,
      warmups: results.slice(0, o.warmupEvents),
      events: results.slice(o.warmupEvents),
      statusFrames: sum(last.map((w) => w.statusFrames)),
      clock
    }
  } finally {
    // Clients first: their sockets close on the client side, and the server stops with none open.
    await Promise.all(children.map((c) => c.stop()))
    await server.stop()
  }
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)

// ---------------------------------------------------------------------------------------------
// The report.

const median = (values: number[]) => spread(values).median
/** One run's figure: the median over its measured events. */
const perRun = (run: Run, pick: (e: EventResult) => number) => median(run.events.map(pick))

const f1 = (v: number) => Number.isFinite(v) ? v.toFixed(1) : '–'
const f2 = (v: number) => Number.isFinite(v) ? v.toFixed(2) : '–'
const n0 = (v: number) => Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–'
const fmt = (s: Spread, f: (v: number) => string = f1) => s.n === 0 ? '–' : s.n === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`

interface Row { label: string, service: Spread, baseline: Spread, ratio: Spread, f?: (v: number) => string }

function rowsFor (runs: Record<Kind, Run[]>) {
  const of = (kind: Kind, value: (r: Run) => number) => spread(runs[kind].map(value))
  const ratio = (value: (r: Run) => number) => spread(runs.service.map((s) => {
    const b = runs.baseline.find((x) => x.rep === s.rep)
    return b ? value(s) / value(b) : NaN
  }))
  const row = (label: string, value: (r: Run) => number, f?: (v: number) => string): Row => ({ label, service: of('service', value), baseline: of('baseline', value), ratio: ratio(value), ...(f ? { f } : {}) })
  return [
    row('memory per stream, RSS: (all − none) ÷ streams (KB)', (r) => r.rssPerStreamKB),
    row('memory per stream, RSS: marginal, second half of the streams (KB)', (r) => r.rssMarginalKB),
    row('memory per stream, V8 heap used (KB)', (r) => r.heapPerStreamKB),
    row('one event to every stream, p50 (ms)', (r) => perRun(r, (e) => e.p50)),
    row('one event to every stream, p99 (ms)', (r) => perRun(r, (e) => e.p99)),
    row('one event to every stream, last stream (ms)', (r) => perRun(r, (e) => e.max)),
    row('(info) first stream (ms)', (r) => perRun(r, (e) => e.first)),
    row('(info) server done writing to every socket (ms after the trigger)', (r) => perRun(r, (e) => e.writtenMs)),
    row('(info) streams opened per second', (r) => r.opened / (r.openMs / 1000), n0)
  ]
}

const machineInfo = () => ({ ...machine(), fds: openFileLimit() })

function openFileLimit () {
  const out = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' })
  const value = Number(out.stdout?.trim())
  return Number.isFinite(value) ? value : Infinity
}

function commandLine () {
  const env = Object.entries(process.env)
    .filter(([name, value]) => name.startsWith('BENCH_') && value)
    .filter(([name]) => !(process.env.npm_lifecycle_event === 'bench:quick' && name === 'BENCH_QUICK'))
    .map(([name, value]) => `${name}=${value}`)
    .sort()
  const event = process.env.npm_lifecycle_event
  return [...env, event === 'bench:sse' || event === 'bench' || event === 'bench:quick' ? `npm run ${event}` : 'npm run bench:sse'].join(' ')
}

function section (runs: Record<Kind, Run[]>, finishedAt: Date) {
  const m = machineInfo()
  const all = [...runs.service, ...runs.baseline]
  const service = runs.service
  const minOpened = Math.min(...service.map((r) => r.opened))
  const serviceFailures = sum(service.map((r) => r.failed + r.dropped))
  const verdict = o.clients < TARGET_STREAMS
    ? `NOT RUN (${n0(o.clients)} clients asked for)`
    : minOpened >= TARGET_STREAMS && serviceFailures === 0 ? 'PASS' : 'FAIL'
  const errors = (kind: Kind) => {
    const merged: Record<string, number> = {}
    for (const r of runs[kind]) for (const [why, count] of Object.entries(r.errors)) merged[why] = (merged[why] ?? 0) + count
    return Object.entries(merged).map(([why, count]) => `${count} × ${why}`).join(', ')
  }
  const opened = (kind: Kind) => {
    const list = runs[kind]
    const failed = sum(list.map((r) => r.failed))
    const dropped = sum(list.map((r) => r.dropped))
    const missing = sum(list.flatMap((r) => r.events.map((e) => e.missing)))
    return `${fmt(spread(list.map((r) => r.opened)), n0)} of ${n0(o.clients)}; ${failed} failed, ${dropped} dropped, ${missing} events missing${errors(kind) ? ` (${errors(kind)})` : ''}`
  }
  const frameBytes = (kind: Kind) => [...new Set(runs[kind].flatMap((r) => r.events.map((e) => e.frameBytes)))].sort((a, b) => a - b).join('/')
  const commit = spread(service.map((r) => perRun(r, (e) => e.commitMs)))
  const statusFrames = sum(service.map((r) => r.statusFrames))
  const clock = { offsetMs: Math.max(...all.map((r) => r.clock.offsetMs)), rttMs: Math.max(...all.map((r) => r.clock.rttMs)) }
  const rows = rowsFor(runs)
  const minutes = (finishedAt.getTime() - startedAt.getTime()) / 60_000
  const pinning = HAS_TASKSET ? `servers on CPU ${o.serverCpu}, client processes on CPU ${o.loadCpu} (taskset); the orchestrator unpinned` : 'NOT pinned (taskset unavailable): figures are less reliable'
  const processes = Math.max(2, Math.ceil(o.clients / o.perProcess))

  const perRep = table(
    ['rep', 'server', 'order', 'streams open', 'failed / dropped', 'RSS before → after MB', 'RSS KB/stream', 'marginal KB/stream', 'heap KB/stream', 'p50 ms', 'p99 ms', 'last ms', 'written ms', 'commit ms'],
    all.sort((a, b) => a.rep - b.rep || a.kind.localeCompare(b.kind)).map((r) => [
      String(r.rep), r.kind, r.order, n0(r.opened), `${r.failed} / ${r.dropped}`, `${mb(r.before.rss)} → ${mb(r.after.rss)}`, f1(r.rssPerStreamKB), f1(r.rssMarginalKB), f1(r.heapPerStreamKB),
      f1(perRun(r, (e) => e.p50)), f1(perRun(r, (e) => e.p99)), f1(perRun(r, (e) => e.max)), f1(perRun(r, (e) => e.writtenMs)),
      r.kind === 'service' ? f1(perRun(r, (e) => e.commitMs)) : '–'
    ]),
    ['r', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']
  )

  return [
    '## Server-Sent Events fan-out',
    '',
    `Written by \`${commandLine()}\` (bench/sse.ts; \`npm run bench\` runs it after bench/run.ts and it replaces only this section); rerun it to refresh. Numbers are measured, never edited by hand.`,
    ...(o.quick ? ['', `> **Quick smoke run** (${n0(o.clients)} clients, one repetition): it checks the harness, not the service. Use \`npm run bench:sse\` for numbers.`] : []),
    ...notes.map((n) => `\n> ${n}`),
    '',
    table(['', ''], [
      ['date', startedAt.toISOString()],
      ['machine', `${m.cpu}, nproc ${m.nproc}, Linux ${m.kernel}; \`ulimit -n\` ${m.fds}: one process cannot hold more than about ${n0(m.fds)} sockets, and each stream is one in the server and one in a client process`],
      ['node', process.version],
      ['commit', m.commit],
      ['backends', 'embedded (PGlite in memory; in-process pub/sub, locks and cache)'],
      ['pinning', pinning],
      ['clients', `${n0(o.clients)} raw HTTP/1.1 streams on one project from ${processes} client processes, in two halves, opened ${o.concurrency} at a time`],
      ['repetitions', `${o.reps} × (service, baseline), alternating which goes first; ${o.warmupEvents} warm-up + ${o.events} measured events per run`],
      ['wall time', `${minutes.toFixed(1)} min`]
    ]),
    '',
    'Median over the repetitions, min–max in brackets; a ratio is service ÷ baseline of the same repetition, then the median of those ratios (these machines are shared and noisy, so only same-run ratios mean much).',
    '',
    table(['target / figure', 'service', 'bare Fastify SSE baseline', 'service ÷ baseline'], [
      [`${n0(TARGET_STREAMS)} concurrent streams on one instance: **${verdict}**`, opened('service'), opened('baseline'), '–'],
      ...rows.map((r) => [r.label, fmt(r.service, r.f), fmt(r.baseline, r.f), fmt(r.ratio, f2)]),
      ['(info) event committed (ms after the trigger)', fmt(commit), '– (no log)', '–'],
      ['(info) event frame (bytes)', frameBytes('service'), frameBytes('baseline'), '–'],
      ['(check) clients kept up: last stream − server done writing (ms)', fmt(spread(service.map((r) => perRun(r, (e) => e.max - e.writtenMs)))), fmt(spread(runs.baseline.map((r) => perRun(r, (e) => e.max - e.writtenMs)))), '–'],
      ['(check) `status` frames during the run (all streams)', n0(statusFrames), '–', '–'],
      ['(check) clock offset orchestrator ↔ client processes', `≤ ${clock.offsetMs.toFixed(3)} ms (ping RTT ≤ ${clock.rttMs.toFixed(2)} ms)`, '', '']
    ], ['l', 'r', 'r', 'r']),
    '',
    '### Per repetition (median over the measured events)',
    '',
    perRep,
    '',
    '### Method',
    '',
    `Each run starts a fresh server process pinned to one CPU: the service (bench/sse-instance.ts: \`buildApp\` as in production, NODE_ENV=production, LOG_LEVEL=${o.logLevel}, embedded backends, SSE_HEARTBEAT_MS=300000 so no heartbeat falls inside the measurement, other settings at their defaults) or the baseline (bench/sse-baseline-server.ts: bare Fastify, no logger, \`GET /events\` hijacks the reply, writes the same headers and an equal \`ready\` frame and keeps the response in a Set). ` +
    `After a forced full GC the server's RSS and V8 heap are read; then client processes on the other CPU (bench/sse-clients.ts: node:net sockets writing the GET by hand and reading into one shared buffer, Bearer token of an owner, no Accept-Encoding so no compression) open ${n0(o.clients)} streams on one project in two halves, ${o.concurrency} connecting at a time, each until it has its \`ready\` frame; once the server counts that many open streams (the service's \`app.events.openStreams()\`), memory is read again after a forced GC, after each half. Memory per stream = (RSS with all streams − RSS with none) ÷ streams, the heap likewise. A GC leaves the heap pages it freed committed and the C allocator keeps what was freed, and the first streams reuse that without growing RSS; the service's start-up (with the embedded database) leaves far more of it than the bare server's, so the marginal figure, RSS growth over the second half ÷ its streams, is the fairer RSS comparison, and heap used is not affected. ` +
    `Then ${o.warmupEvents} warm-up and ${o.events} measured events go one at a time, ${o.gapMs} ms apart: the orchestrator takes the trigger instant and asks the server to emit one \`action\` event of the same size (the service: \`POST /__bench/emit\`, a bench-only route in bench/sse-instance.ts that appends the event to the log in a transaction and announces it, exactly as the action store does; the baseline: \`POST /broadcast\`, one write of the frame to every stream); every client notes when the frame arrives (\`performance.timeOrigin + performance.now()\`, comparable across processes on one machine), and latency = arrival − trigger, so the service's figure includes writing the event to its log ("committed"). ` +
    'p50, p99, first and last stream are taken over all clients for each event (nearest rank), then the median over the measured events of a run, then median and min–max over repetitions. ' +
    '"Server done writing" is when the server had handed the frame to every socket\'s kernel buffer: Node\'s http corks a response on each write and uncorks it on the next tick, so it is taken at the setImmediate after the fan-out (the service: in a hub listener joined after all streams, so called last). On loopback the kernel\'s delivery is done by the writing process, so that instant is close to the last arrival when the clients keep up (the check row; negative when the last frame arrived before the server\'s setImmediate ran), i.e. the figures measure the server, not the clients. `status` frames are counted, not timed: the service publishes one when a project gains its first stream. Streams opened per second includes the clients\' own work and the concurrency cap; it is information, not a target.',
    '',
    `Reproduce: \`npm run bench:sse\` (${n0(TARGET_STREAMS)} clients, 3 repetitions); \`npm run bench:quick\` includes a ${n0(1000)}-client smoke run written to bench/.out/. Knobs: BENCH_SSE_CLIENTS, BENCH_SSE_REPS, BENCH_SSE_EVENTS, BENCH_SSE_WARMUP_EVENTS, BENCH_SSE_CONCURRENCY, BENCH_SSE_PER_PROCESS (clients per client process), BENCH_SSE_GAP_MS, BENCH_SERVER_CPU, BENCH_LOAD_CPU.`
  ].join('\n')
}

/** Replaces the marked section of the file, or appends it when there is none. */
function writeSection (file: string, text: string) {
  const block = `${START}\n${text}\n${END}\n`
  const current = existsSync(file) ? readFileSync(file, 'utf8') : ''
  const from = current.indexOf(START)
  const to = current.indexOf(END, from)
  const next = from !== -1 && to !== -1
    ? current.slice(0, from) + block + current.slice(to + END.length).replace(/^\n/, '')
    : (current === '' ? '' : current.replace(/\n*$/, '\n\n')) + block
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, next)
}

// ---------------------------------------------------------------------------------------------

async function main () {
  // This run's logs only (bench/run.ts's, from the same `npm run bench`, stay).
  mkdirSync(LOG_DIR, { recursive: true })
  for (const name of readdirSync(LOG_DIR)) if (name.startsWith('sse-')) rmSync(join(LOG_DIR, name), { force: true })
  const fds = openFileLimit()
  // A client process holds one socket per client; the server one per stream; plus a few dozen of their own.
  if (Math.min(o.perProcess, o.clients) + 100 > fds) throw new Error(`BENCH_SSE_PER_PROCESS=${o.perProcess}: more sockets than \`ulimit -n\` (${fds}) lets one client process open; lower it`)
  if (o.clients + 200 > fds) throw new Error(`BENCH_SSE_CLIENTS=${o.clients}: one server process cannot hold that many sockets with \`ulimit -n\` ${fds}`)
  if (!HAS_TASKSET) notes.push('**taskset is not available: processes were NOT pinned to separate cores; ratios are less reliable.**')
  log(`${o.quick ? 'QUICK smoke run' : 'SSE benchmark'}: ${o.clients} clients × ${o.reps} repetition(s) × (service, baseline); logs in ${relative(process.cwd(), LOG_DIR)}/sse-*`)

  const runs: Record<Kind, Run[]> = { service: [], baseline: [] }
  for (let rep = 1; rep <= o.reps; rep++) {
    const order: Kind[] = rep % 2 === 1 ? ['service', 'baseline'] : ['baseline', 'service']
    for (const kind of order) runs[kind].push(await measure(kind, rep, `${order[0]} first`))
  }

  const text = section(runs, new Date())
  const rows = rowsFor(runs)
  process.stdout.write([
    '',
    `## SSE fan-out${o.quick ? ' (QUICK smoke run, not a measurement)' : ''}: ${o.clients} clients, ${o.reps} repetition(s)`,
    '',
    table(['figure', 'service', 'baseline', 'service ÷ baseline'], [
      ['streams open', fmt(spread(runs.service.map((r) => r.opened)), n0), fmt(spread(runs.baseline.map((r) => r.opened)), n0), '–'],
      ...rows.map((r) => [r.label, fmt(r.service, r.f), fmt(r.baseline, r.f), fmt(r.ratio, f2)])
    ], ['l', 'r', 'r', 'r']),
    ''
  ].join('\n') + '\n')
  writeSection(o.out, text)
  log(`section written to ${relative(process.cwd(), o.out)}`)
}

try {
  await main()
} catch (error) {
  // After Ctrl-C the signal handler is already stopping everything and will exit 130.
  if (wasInterrupted()) await new Promise(() => {})
  process.stderr.write(`\nbench:sse: the harness failed: ${(error as Error).stack ?? error}\n`)
  await stopAll()
  process.exit(1)
}
await stopAll()
