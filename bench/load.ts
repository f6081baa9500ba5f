import http from 'node:http'
import { randomUUID } from 'node:crypto'
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { resolve } from 'node:path'
import pg from 'pg'
import { Redis } from 'ioredis'
import { launch, installSignalHandlers, stopAll, BENCH_DIR } from './lib/proc.js'
import { loadOptions, num } from './lib/options.js'
import { machine, table } from './lib/report.js'
import { deltaBy, lookupDelta, lookupsOf, scrapeSamples } from './lib/metrics.js'
import type { LoadResult, LoadSpec, StackReady, TokensFile } from './lib/protocol.js'

/**
 * `npm run bench:load`: the mixed load of issue #7 over two instances sharing PostgreSQL and Redis,
 * on loopback, for BENCH_LOAD_DURATION seconds (60; 15 with BENCH_QUICK=1): status GETs over many
 * projects (Zipf), 304 revalidations, open SSE streams on both instances, and a steady trickle of
 * actions. Bounded: no 5xx anywhere, status p99 under the plan's 500 ms. Writes the
 * `<!-- load:start -->` section of docs/performance.md (bench/.out in quick mode).
 */
const o = loadOptions()
const quick = o.quick
const duration = Math.round(num('BENCH_LOAD_DURATION', quick ? 15 : 60, 5))
const projects = Math.round(num('BENCH_LOAD_PROJECTS', quick ? 50 : 200, 4))
const streamsPerInstance = Math.round(num('BENCH_LOAD_STREAMS', quick ? 50 : 250, 1))
const actionsPerSecond = num('BENCH_LOAD_ACTIONS_PER_S', 2, 0.1)
const P99_TARGET_MS = 500
const DOCS_FILE = resolve(BENCH_DIR, '..', 'docs', 'performance.md')
const out = quick ? resolve(BENCH_DIR, '.out', 'performance-quick.md') : DOCS_FILE
const START = '<!-- load:start -->'
const END = '<!-- load:end -->'
const STATUS_PATH = '/api/integrations/status?projectId={projectId}'
const log = (message: string) => process.stderr.write(`[bench:load] ${message}\n`)

installSignalHandlers()

async function backendsProblem () {
  const client = new pg.Client({ connectionString: o.databaseUrl, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
  } catch (error) {
    return `PostgreSQL unreachable: ${(error as Error).message}`
  } finally {
    await client.end().catch(() => {})
  }
  const redis = new Redis(o.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
  } catch (error) {
    return `Redis unreachable: ${(error as Error).message}`
  } finally {
    redis.disconnect()
  }
  return null
}

async function generate (name: string, spec: LoadSpec): Promise<LoadResult> {
  const child = launch(`load-${name}`, 'loadgen.ts', { cpu: o.loadCpu, args: [JSON.stringify(spec)] })
  try {
    return await child.result as LoadResult
  } finally {
    await child.stop()
  }
}

/** Open SSE streams held for the run: counts events, unexpected ends and non-200 answers. */
function holdStreams (urls: string[], entries: TokensFile['groups'][string], perInstance: number) {
  const stats = { opened: 0, refused: 0, ended: 0, events: 0, statusCodes: {} as Record<string, number> }
  const requests: http.ClientRequest[] = []
  let stopping = false
  for (const [i, url] of urls.entries()) {
    for (let k = 0; k < perInstance; k++) {
      const entry = entries[(i * perInstance + k) % entries.length]!
      const request = http.get(`${url}/api/integrations/events?projectId=${encodeURIComponent(entry.projectId)}`, {
        agent: false,
        headers: { authorization: `Bearer ${entry.jwt}`, accept: 'text/event-stream' }
      }, (response) => {
        const code = String(response.statusCode)
        stats.statusCodes[code] = (stats.statusCodes[code] ?? 0) + 1
        if (response.statusCode !== 200) {
          stats.refused++
          response.resume()
          return
        }
        stats.opened++
        response.on('data', (chunk: Buffer) => { stats.events += (chunk.toString().match(/\nevent: (status|action)\n/g) ?? []).length })
        response.on('close', () => { if (!stopping) stats.ended++ })
      })
      request.on('error', () => { if (!stopping) stats.ended++ })
      requests.push(request)
    }
  }
  return {
    stats,
    close () {
      stopping = true
      for (const request of requests) request.destroy()
    }
  }
}

/** A steady trickle of GitHub sync actions, each with a fresh Idempotency-Key, round-robin over instances. */
function runActions (urls: string[], entries: TokensFile['groups'][string], perSecond: number, seconds: number) {
  const stats = { sent: 0, statusCodes: {} as Record<string, number>, ids: [] as Array<{ id: string, url: string, jwt: string }> }
  let n = 0
  const done = (async () => {
    const until = Date.now() + seconds * 1000
    while (Date.now() < until) {
      const entry = entries[n % entries.length]!
      const url = urls[n % urls.length]!
      n++
      const response = await fetch(`${url}/api/integrations/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${entry.jwt}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ projectId: entry.projectId, provider: 'github', action: 'sync' })
      }).catch(() => undefined)
      stats.sent++
      const code = String(response?.status ?? 'network error')
      stats.statusCodes[code] = (stats.statusCodes[code] ?? 0) + 1
      if (response?.status === 202) stats.ids.push({ id: ((await response.json()) as { id: string }).id, url, jwt: entry.jwt })
      else await response?.text()
      await new Promise((resolve) => setTimeout(resolve, 1000 / perSecond))
    }
  })()
  return { stats, done }
}

async function settledActions (ids: Array<{ id: string, url: string, jwt: string }>) {
  const outcome: Record<string, number> = {}
  for (const { id, url, jwt } of ids) {
    let status = 'unknown'
    for (let i = 0; i < 40; i++) {
      const response = await fetch(`${url}/api/integrations/actions/${id}`, { headers: { authorization: `Bearer ${jwt}` } })
      status = ((await response.json()) as { status: string }).status
      if (status === 'succeeded' || status === 'failed') break
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    outcome[status] = (outcome[status] ?? 0) + 1
  }
  return outcome
}

const ms = (value: number) => `${value.toFixed(1)} ms`
const pct = (value: number) => (Number.isNaN(value) ? 'n/a' : `${(value * 100).toFixed(1)}%`)

/** The /metrics series behind the plan's SLOs (docs/operations.md), read before and after the load. */
const SERIES = ['status_cache_lookups_total', 'adapter_timeouts_total', 'adapter_call_duration_seconds_count', 'sse_streams_closed_total'] as const

function sloFigures (before: Record<string, number>, after: Record<string, number>) {
  const lookups = lookupDelta(lookupsOf(before), lookupsOf(after))
  const timeouts = deltaBy(before, after, 'adapter_timeouts_total')[''] ?? 0
  const calls = deltaBy(before, after, 'adapter_call_duration_seconds_count')[''] ?? 0
  const closes = deltaBy(before, after, 'sse_streams_closed_total', 'reason')
  const serverCloses = Object.entries(closes).filter(([reason]) => reason !== 'client').reduce((sum, [, n]) => sum + n, 0)
  return {
    lookups,
    timeouts,
    calls,
    timeoutRate: calls > 0 ? timeouts / calls : NaN,
    closes,
    serverCloses
  }
}
const fiveXx = (codes: Record<string, number>) => Object.entries(codes).filter(([code]) => code.startsWith('5')).reduce((sum, [, count]) => sum + count, 0)

async function main () {
  const problem = await backendsProblem()
  if (problem) {
    log(`not run: two instances need PostgreSQL and Redis (${problem})`)
    return
  }
  const runId = `load${Date.now().toString(36)}`
  log(`starting two instances over ${o.databaseUrl} and ${o.redisUrl}, seeding ${projects} projects…`)
  const stack = launch(`stack-${runId}`, 'service-server.ts', {
    cpu: o.simulatorCpu,
    args: [JSON.stringify({ runId, instances: 2, instanceCpu: o.serverCpu, databaseUrl: o.databaseUrl, redisUrl: o.redisUrl, env: { LOG_LEVEL: o.logLevel }, groups: [{ name: 'load', count: projects }] })],
    readyTimeoutS: 600
  })
  try {
    const ready = await stack.ready as StackReady
    const tokens = JSON.parse(readFileSync(ready.tokensFile, 'utf8')) as TokensFile
    const entries = tokens.groups.load!
    log(`${ready.urls.length} instances up; ${duration} s of mixed load: status GETs, 304s, ${streamsPerInstance * 2} streams, ${actionsPerSecond} actions/s`)
    const before = await scrapeSamples(ready.urls, SERIES)
    const streams = holdStreams(ready.urls, entries, streamsPerInstance)
    const first = entries[0]!
    const etag = (await fetch(`${ready.urls[0]}${STATUS_PATH.replace('{projectId}', first.projectId)}`, { headers: { authorization: `Bearer ${first.jwt}` } })).headers.get('etag') ?? ''
    const actions = runActions(ready.urls, entries, actionsPerSecond, duration)
    const [status, notModified] = await Promise.all([
      generate('status', { targets: ready.urls, connections: 10, duration, timeoutS: 10, request: { kind: 'zipf', tokensFile: ready.tokensFile, group: 'load', s: 1.1, seed: 7, path: STATUS_PATH } }),
      generate('304', { targets: ready.urls, connections: 4, duration, timeoutS: 10, request: { kind: 'fixed', path: STATUS_PATH.replace('{projectId}', first.projectId), headers: { authorization: `Bearer ${first.jwt}` }, revalidate: { etag } } })
    ])
    await actions.done
    const actionOutcomes = await settledActions(actions.stats.ids)
    // Read before the streams close, so their closes (reason client) do not count.
    const after = await scrapeSamples(ready.urls, SERIES)
    streams.close()
    const s = streams.stats
    const slo = sloFigures(before, after)
    const errors5xx = fiveXx(status.statusCodes) + fiveXx(notModified.statusCodes) + fiveXx(actions.stats.statusCodes) + fiveXx(s.statusCodes)
    const pass = (ok: boolean) => (ok ? '**PASS**' : '**FAIL**')
    const rows: string[][] = [
      ['no 5xx (status, 304, streams, actions)', String(errors5xx), pass(errors5xx === 0)],
      [`status p99 < ${P99_TARGET_MS} ms`, `${ms(status.latencyMs.p99)} (p50 ${ms(status.latencyMs.p50)}, p95 ${ms(status.latencyMs.p95)}, max ${ms(status.latencyMs.max)})`, pass(status.latencyMs.p99 < P99_TARGET_MS)],
      ['status GETs', `${status.responses} at ${Math.round(status.rps)}/s; codes ${JSON.stringify(status.statusCodes)}; socket errors ${status.socketErrors}, timeouts ${status.timeouts}`, ''],
      ['304 revalidations', `${notModified.responses} at ${Math.round(notModified.rps)}/s, p99 ${ms(notModified.latencyMs.p99)}; codes ${JSON.stringify(notModified.statusCodes)}`, ''],
      ['streams held (both instances)', `${s.opened} opened, ${s.refused} refused, ${s.ended} ended early, ${s.events} status/action events received`, pass(s.ended === 0 && s.refused === 0)],
      ['cache hit rate (hit + stale of all lookups, both instances, from /metrics)', `${pct(slo.lookups.hitRate)} (${slo.lookups.hit} hit, ${slo.lookups.stale} stale, ${slo.lookups.miss} miss)`, pass(slo.lookups.hitRate > 0.8)],
      ['adapter timeout rate (adapter_timeouts_total ÷ adapter calls)', `${pct(slo.timeoutRate)} (${slo.timeouts} of ${slo.calls} provider checks)`, pass(slo.timeoutRate < 0.05)],
      ['streams closed by the server during the run (sse_streams_closed_total, reasons other than client)', `${slo.serverCloses} (${JSON.stringify(slo.closes)})`, pass(slo.serverCloses === 0)],
      ['actions', `${actions.stats.sent} sent; answers ${JSON.stringify(actions.stats.statusCodes)}; outcomes ${JSON.stringify(actionOutcomes)}`, pass((actionOutcomes.succeeded ?? 0) === actions.stats.ids.length)]
    ]
    const m = machine()
    const section = [
      START,
      '## Mixed load over two instances',
      '',
      `Written by \`npm run bench:load\` (bench/load.ts; \`npm run bench\` runs it last) on ${new Date().toISOString()}, commit ${m.commit}, ${m.cpu}, nproc ${m.nproc}, node ${process.version}. Two service instances over one PostgreSQL and one Redis, the provider simulator, ${projects} seeded projects (all four integrations), loopback, ${duration} s. At once: status GETs over the projects by Zipf popularity (autocannon, 10 connections per instance), 304 revalidations of one project (4 per instance), ${streamsPerInstance} open event streams per instance, and ${actionsPerSecond} GitHub sync actions a second alternating between instances. Absolute figures, bounded by the plan's targets (no ratio: there is no bare-Fastify equivalent of this mix).`,
      '',
      table(['figure', 'measured', 'target'], rows),
      '',
      'Reproduce: `npm run bench:load` (BENCH_LOAD_DURATION, BENCH_LOAD_PROJECTS, BENCH_LOAD_STREAMS, BENCH_LOAD_ACTIONS_PER_S).',
      END
    ].join('\n')
    process.stdout.write(`${section}\n`)
    const current = existsSync(out) ? readFileSync(out, 'utf8') : ''
    const begin = current.indexOf(START)
    const end = current.indexOf(END)
    const next = begin !== -1 && end > begin ? current.slice(0, begin) + section + current.slice(end + END.length) : `${current.trimEnd()}\n\n${section}\n`
    writeFileSync(out, next)
    log(`section written to ${out}`)
  } finally {
    await stack.stop()
  }
}

try {
  await main()
} finally {
  await stopAll()
}
