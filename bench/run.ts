import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, relative } from 'node:path'
import pg from 'pg'
import { Redis } from 'ioredis'
import { PROVIDERS, type CallTuple, type LoadResult, type LoadSpec, type StackReady, type StackSpec, type TokensFile } from './lib/protocol.js'
import { titleFor, type Outcomes, type PairedRun, type ScenarioId, type SingleRun } from './scenarios.js'
import { launch, installSignalHandlers, stopAll, wasInterrupted, HAS_TASKSET, BENCH_DIR, LOG_DIR, type Launched } from './lib/proc.js'
import { loadOptions, benchEnvironment, type BenchOptions } from './lib/options.js'
import { scrapeLookups, lookupDelta, type Lookups } from './lib/metrics.js'
import { analyseSpan, analyseWindow } from './lib/steady.js'
import { markdown, measurementsTable, memoryTable, steadyTable, targetsTable } from './lib/report.js'

/**
 * `npm run bench`: measures the status route against a bare Fastify baseline and writes
 * docs/performance.md. Exit code 0 whatever the targets say (it is a report); non-zero only
 * when the harness itself breaks.
 */

const o = loadOptions()
const runId = Date.now().toString(36) + randomBytes(2).toString('hex')
const startedAt = new Date()
const log = (message: string) => process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${message}\n`)
const wants = (id: ScenarioId) => !o.only || o.only.includes(id)
const outcomes: Outcomes = { notRun: {} }
const notes: string[] = []

installSignalHandlers()

async function load (name: string, spec: LoadSpec, onStarted?: (at: number) => void): Promise<LoadResult> {
  const child = launch(`loadgen-${name}`, 'loadgen.ts', { cpu: o.loadCpu, args: [JSON.stringify(spec)] })
  if (onStarted) {
    child.onLine((line) => {
      if (line.startsWith('STARTED ')) onStarted((JSON.parse(line.slice(8)) as { at: number }).at)
    })
  }
  try {
    return await child.result as LoadResult
  } finally {
    await child.stop()
  }
}

async function resolveBackend (): Promise<{ real: boolean, why?: string }> {
  if (o.backend === 'embedded') return { real: false, why: 'BENCH_BACKEND=embedded' }
  const problem = await realBackendsProblem()
  if (problem && o.backend === 'real') throw new Error(`BENCH_BACKEND=real but ${problem}`)
  return problem ? { real: false, why: problem } : { real: true }
}

async function realBackendsProblem () {
  const client = new pg.Client({ connectionString: o.databaseUrl, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('select 1')
  } catch (error) {
    return `PostgreSQL at ${o.databaseUrl} unreachable: ${(error as Error).message}`
  } finally {
    await client.end().catch(() => {})
  }
  const redis = new Redis(o.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
  } catch (error) {
    return `Redis at ${o.redisUrl} unreachable: ${(error as Error).message}`
  } finally {
    redis.disconnect()
  }
  return null
}

async function startStack (name: string, spec: StackSpec): Promise<{ stack: Launched, ready: StackReady, tokens: TokensFile }> {
  const stack = launch(`${name}-${runId}`, 'service-server.ts', { cpu: o.simulatorCpu, args: [JSON.stringify({ ...spec, instanceCpu: o.serverCpu })], readyTimeoutS: 600 })
  const ready = await stack.ready as StackReady
  log(`${name}: ${ready.urls.length} instance(s) up, seeded in ${ready.seedSeconds.toFixed(1)} s${ready.routeMissing ? ' — status route MISSING' : ''}`)
  return { stack, ready, tokens: JSON.parse(readFileSync(ready.tokensFile, 'utf8')) as TokensFile }
}

const STATUS_TEMPLATE = '/api/integrations/status?projectId={projectId}'
const statusPath = (projectId: string) => STATUS_TEMPLATE.replace('{projectId}', encodeURIComponent(projectId))

async function currentEtag (url: string, projectId: string, jwt: string) {
  const response = await fetch(url + statusPath(projectId), { headers: { authorization: `Bearer ${jwt}` } })
  await response.arrayBuffer()
  const etag = response.headers.get('etag')
  if (response.status !== 200 || !etag) throw new Error(`status route answered ${response.status} without an ETag`)
  return etag
}

const FLOOR_PATH = '/api/auth/session'
/** The scenarios measured against the bare Fastify baseline, each run paired with one of its runs. */
const PAIRED: ScenarioId[] = ['warm', 'warmGzip', 'notModified', 'floor']

/** Whether the status route answers `Accept-Encoding: gzip` with a gzip-encoded body. */
async function answersGzip (url: string, projectId: string, jwt: string) {
  const response = await fetch(url + statusPath(projectId), { headers: { authorization: `Bearer ${jwt}`, 'accept-encoding': 'gzip' } })
  await response.arrayBuffer()
  return response.headers.get('content-encoding') === 'gzip'
}

/** Answers 200 to the bearer token, or says why not (the floor is then not run). */
async function floorProblem (url: string, jwt: string) {
  const response = await fetch(url + FLOOR_PATH, { headers: { authorization: `Bearer ${jwt}` } })
  await response.arrayBuffer()
  return response.status === 200 ? undefined : `GET ${FLOOR_PATH} answered ${response.status}`
}

/** Warm 200, 304, the authenticated floor, cold and hanging: one instance, against the baseline. */
async function singleInstanceScenarios (real: boolean) {
  const ids: ScenarioId[] = (['warm', 'warmGzip', 'notModified', 'floor', 'scaling', 'cold', 'hanging'] as const).filter(wants)
  if (ids.length === 0) return
  const coldPerRep = o.coldRequests
  const spec: StackSpec = {
    runId: `${runId}s`,
    tokenKind: o.tokenKind,
    instances: 1,
    ...(real ? { databaseUrl: o.databaseUrl, redisUrl: o.redisUrl } : {}),
    env: { LOG_LEVEL: o.logLevel },
    groups: [
      { name: 'warm', count: 1 },
      { name: 'hang', count: o.reps, scenarios: { github: 'hanging' } },
      { name: 'cold', count: wants('cold') ? coldPerRep * o.reps : 0 },
      { name: 'scale', count: wants('scaling') ? o.scaleProjects : 0, providers: ['github'] }
    ]
  }
  const needsBaseline = ids.some((id) => PAIRED.includes(id))
  const baseline = needsBaseline ? launch(`baseline-${runId}`, 'baseline-server.ts', { cpu: o.serverCpu }) : undefined
  log(`starting the single-instance service${needsBaseline ? ' and the baseline' : ''}…`)
  const [{ stack, ready, tokens }, baselineReady] = await Promise.all([
    startStack('single', spec),
    baseline?.ready as Promise<{ url: string }> | undefined
  ])
  try {
    const url = ready.urls[0]!
    const warm = tokens.groups.warm![0]!
    const skip = (id: ScenarioId, why: string) => {
      outcomes.notRun[id] = why
      ids.splice(ids.indexOf(id), 1)
    }
    // The floor does not need the status route; everything else does.
    if (ready.routeMissing) for (const id of ids.filter((i) => i !== 'floor')) skip(id, 'GET /api/integrations/status answers 404 (route not built)')
    if (ids.includes('floor')) {
      const why = await floorProblem(url, warm.jwt)
      if (why) skip('floor', why)
    }
    if (ids.length === 0) return
    const auth = (jwt: string) => ({ authorization: `Bearer ${jwt}` })
    const base = { targets: [url], duration: o.duration, timeoutS: 10 }
    const warmSpec: LoadSpec = { ...base, connections: o.connections, request: { kind: 'fixed', path: statusPath(warm.projectId), headers: auth(warm.jwt) } }
    // Same instance, connections and token as warm 200; only the route differs.
    const floorSpec: LoadSpec = { ...warmSpec, request: { kind: 'fixed', path: FLOOR_PATH, headers: auth(warm.jwt) } }
    const gzipSpec: LoadSpec = { ...warmSpec, request: { kind: 'fixed', path: statusPath(warm.projectId), headers: { ...auth(warm.jwt), 'accept-encoding': 'gzip' } } }
    if (ids.includes('warmGzip')) outcomes.warmGzipEncoded = await answersGzip(url, warm.projectId, warm.jwt)
    const scaleSpec = (projects: number): LoadSpec => ({
      ...base,
      connections: o.connections,
      request: { kind: 'cycle', tokensFile: ready.tokensFile, group: 'scale', from: 0, count: projects, path: STATUS_TEMPLATE }
    })
    if (ids.includes('scaling')) {
      // Every project asked for once, so each step measures warm answers.
      const primed = await load('scale-prime', { ...base, duration: 600, connections: 20, amount: o.scaleProjects, request: { kind: 'sequence', tokensFile: ready.tokensFile, group: 'scale', from: 0, count: o.scaleProjects, path: STATUS_TEMPLATE } })
      log(`scaling: primed ${primed.responses} projects in ${((primed.endedAt - primed.startedAt) / 1000).toFixed(1)} s (${primed.errors} errors)`)
    }
    const baselineSpec = (): LoadSpec => ({ ...base, targets: [baselineReady!.url], connections: o.connections, request: { kind: 'fixed', path: '/' } })

    if (o.warmup > 0) {
      log(`warm-up: ${o.warmup} s per server${ids.includes('floor') ? ' and for the floor route' : ''}`)
      if (baselineReady) await load('warmup-baseline', { ...baselineSpec(), duration: o.warmup })
      if (ids.some((id) => id !== 'floor')) await load('warmup-service', { ...warmSpec, duration: o.warmup })
      if (ids.includes('floor')) await load('warmup-floor', { ...floorSpec, duration: o.warmup })
    }

    const measureService = async (name: string, spec: LoadSpec) => {
      const before = await scrapeLookups([url])
      const result = await load(name, spec)
      return { result, lookups: lookupDelta(before, await scrapeLookups([url])) }
    }
    const paired = async (id: 'warm' | 'warmGzip' | 'notModified' | 'floor', rep: number, spec: () => Promise<LoadSpec>): Promise<PairedRun> => {
      const serviceFirst = rep % 2 === 0
      let b: LoadResult | undefined
      if (!serviceFirst) b = await load(`${id}-baseline-${rep}`, baselineSpec())
      const s = await measureService(`${id}-service-${rep}`, await spec())
      if (serviceFirst) b = await load(`${id}-baseline-${rep}`, baselineSpec())
      const run: PairedRun = { rep, order: serviceFirst ? 'service first' : 'baseline first', baseline: b!, service: s.result, lookups: s.lookups }
      log(`rep ${rep} ${titleFor(id, o)}: ${Math.round(s.result.rps)} req/s vs baseline ${Math.round(b!.rps)} → ${(s.result.rps / b!.rps).toFixed(2)}, p99 ${s.result.latencyMs.p99.toFixed(1)} ms`)
      return run
    }

    for (let rep = 1; rep <= o.reps; rep++) {
      if (ids.includes('warm')) {
        (outcomes.warm ??= []).push(await paired('warm', rep, async () => warmSpec))
      }
      if (ids.includes('warmGzip')) {
        (outcomes.warmGzip ??= []).push(await paired('warmGzip', rep, async () => gzipSpec))
      }
      // Between warm 200 and 304, so each ratio to it compares runs measured close together.
      if (ids.includes('floor')) {
        (outcomes.floor ??= []).push(await paired('floor', rep, async () => floorSpec))
      }
      if (ids.includes('notModified')) {
        (outcomes.notModified ??= []).push(await paired('notModified', rep, async () => ({
          ...warmSpec,
          request: { kind: 'fixed', path: statusPath(warm.projectId), headers: auth(warm.jwt), revalidate: { etag: await currentEtag(url, warm.projectId, warm.jwt) } }
        })))
      }
      if (ids.includes('cold')) {
        await control(ready, `/delay?ms=${o.coldDelayMs}`)
        try {
          const s = await measureService(`cold-${rep}`, {
            ...base,
            duration: Math.max(o.duration, 30),
            connections: Math.min(o.coldConnections, coldPerRep),
            amount: coldPerRep,
            request: { kind: 'sequence', tokensFile: ready.tokensFile, group: 'cold', from: (rep - 1) * coldPerRep, count: coldPerRep, path: STATUS_TEMPLATE }
          })
          const run: SingleRun = { rep, service: s.result, lookups: s.lookups }
          ;(outcomes.cold ??= []).push(run)
          log(`rep ${rep} cold: p95 ${s.result.latencyMs.p95.toFixed(0)} ms over ${s.result.responses} requests, hit rate ${(s.lookups.hitRate * 100).toFixed(1)}%`)
        } finally {
          await control(ready, '/delay?ms=0')
        }
      }
      if (ids.includes('hanging')) {
        // A project nobody asked for yet, so every repetition sees the hang from the first request.
        const hang = tokens.groups.hang![rep - 1]!
        const s = await measureService(`hanging-${rep}`, { ...base, connections: o.hangConnections, request: { kind: 'fixed', path: statusPath(hang.projectId), headers: auth(hang.jwt) } })
        ;(outcomes.hanging ??= []).push({ rep, service: s.result, lookups: s.lookups })
        log(`rep ${rep} hanging: p99 ${s.result.latencyMs.p99.toFixed(0)} ms, ${s.result.errors} errors of ${s.result.responses}`)
      }
    }
    // After every other scenario: the 10,000-project step leaves refreshes of stale entries behind
    // it, which would otherwise run into the next scenario (the cold run's p95 doubled behind it).
    if (ids.includes('scaling')) {
      for (let rep = 1; rep <= o.reps; rep++) {
        for (const projects of [1, 100, o.scaleProjects]) {
          const s = await measureService(`scale-${projects}-${rep}`, scaleSpec(projects))
          ;(outcomes.scaling ??= []).push({ rep, projects, service: s.result, lookups: s.lookups })
          log(`rep ${rep} scaling, ${projects} projects: ${Math.round(s.result.rps)} req/s, p99 ${s.result.latencyMs.p99.toFixed(1)} ms`)
        }
      }
    }
  } finally {
    await Promise.all([stack.stop(), baseline?.stop()])
  }
}

async function control (ready: StackReady, path: string, method = 'POST') {
  const response = await fetch(ready.control + path, { method })
  if (!response.ok) throw new Error(`control ${path}: ${response.status}`)
  return response.json() as Promise<unknown>
}

/**
 * Resident memory of a fresh instance as `memoryProjects` projects (no links; each its own token)
 * are each asked for once: bounded caches show as a curve that flattens once they are full.
 */
async function memoryScenario (real: boolean) {
  if (!wants('memory')) return
  const total = o.memoryProjects
  log(`memory: starting a fresh instance with ${total} projects…`)
  const { stack, ready } = await startStack('memory', {
    runId: `${runId}r`,
    tokenKind: o.tokenKind,
    instances: 1,
    ...(real ? { databaseUrl: o.databaseUrl, redisUrl: o.redisUrl } : {}),
    env: { LOG_LEVEL: o.logLevel },
    groups: [{ name: 'mem', count: total, providers: [] }]
  })
  try {
    if (ready.routeMissing) {
      outcomes.notRun.memory = 'GET /api/integrations/status answers 404 (route not built)'
      return
    }
    const rss = async () => ((await control(ready, '/rss', 'GET')) as { rssBytes: number[] }).rssBytes[0]!
    const points = [{ projects: 0, rssBytes: await rss() }]
    const step = Math.ceil(total / o.memorySteps)
    for (let from = 0; from < total; from += step) {
      const count = Math.min(step, total - from)
      const result = await load(`memory-${from}`, {
        targets: ready.urls,
        connections: 50,
        duration: 900,
        amount: count,
        timeoutS: 10,
        request: { kind: 'sequence', tokensFile: ready.tokensFile, group: 'mem', from, count, path: STATUS_TEMPLATE }
      })
      points.push({ projects: from + count, rssBytes: await rss() })
      log(`memory: ${from + count} projects asked for (${Math.round(result.rps)} req/s, ${result.errors} errors): RSS ${(points.at(-1)!.rssBytes / 2 ** 20).toFixed(0)} MiB`)
    }
    outcomes.memory = points
  } finally {
    await stack.stop()
  }
}

/** Two instances sharing Redis and PostgreSQL, 1,000 projects, skewed popularity. */
async function steadyState (real: boolean, why: string | undefined) {
  if (!wants('steady')) return
  if (!real) {
    outcomes.notRun.steady = `needs PostgreSQL and Redis (${why})`
    return
  }
  const ttl = o.steadyTtlMs
  log(`starting two instances (STATUS_TTL_MS=${ttl}) and seeding ${o.steadyProjects} projects…`)
  const { stack, ready, tokens } = await startStack('steady', {
    runId: `${runId}m`,
    tokenKind: o.tokenKind,
    instances: 2,
    databaseUrl: o.databaseUrl,
    redisUrl: o.redisUrl,
    env: { LOG_LEVEL: o.logLevel, STATUS_TTL_MS: String(ttl) },
    groups: [{ name: 'steady', count: o.steadyProjects }]
  })
  try {
    if (ready.routeMissing) {
      outcomes.notRun.steady = 'GET /api/integrations/status answers 404 (route not built)'
      return
    }
    // Every project asked for once (as in a long-running service), then the skewed load.
    const primed = await load('steady-prime', {
      targets: ready.urls,
      connections: 10,
      duration: 120,
      amount: Math.ceil(o.steadyProjects / ready.urls.length),
      request: { kind: 'sequence', tokensFile: ready.tokensFile, group: 'steady', from: 0, count: o.steadyProjects, path: STATUS_TEMPLATE }
    })
    log(`steady state: primed ${primed.responses} projects in ${((primed.endedAt - primed.startedAt) / 1000).toFixed(1)} s`)
    const warmupMs = o.steadyWarmupTtls * ttl
    const windowMs = o.steadyWindowTtls * ttl
    const windows = o.reps
    const perTarget = (n: number) => Math.max(1, Math.round(n / ready.urls.length))
    const edges: Array<{ at: number, lookups: Lookups }> = []
    let scraping: Promise<void> = Promise.resolve()
    log(`steady state: ${o.steadyRate} req/s, ${(warmupMs / 1000).toFixed(0)} s warm-up, then ${windows} windows of ${(windowMs / 1000).toFixed(0)} s`)
    const result = await load('steady', {
      targets: ready.urls,
      connections: perTarget(o.steadyConnections),
      overallRate: perTarget(o.steadyRate),
      duration: Math.ceil((warmupMs + windows * windowMs) / 1000) + 1,
      timeoutS: 10,
      timeline: true,
      request: { kind: 'zipf', tokensFile: ready.tokensFile, group: 'steady', s: o.zipfS, seed: 42, path: STATUS_TEMPLATE }
    }, (startedAt) => {
      // Window edges on the orchestrator's clock (the same clock the simulator stamps calls with).
      scraping = (async () => {
        for (let k = 0; k <= windows; k++) {
          const due = startedAt + warmupMs + k * windowMs
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())))
          const at = Date.now()
          edges.push({ at, lookups: await scrapeLookups(ready.urls) })
          if (k > 0) log(`steady window ${k}/${windows} done`)
        }
      })()
    })
    await scraping
    if (edges.length !== windows + 1) throw new Error(`steady state: ${edges.length} of ${windows + 1} window edges scraped`)
    const { calls, unmapped } = await control(ready, `/calls?since=${edges[0]!.at}&until=${edges.at(-1)!.at}`, 'GET') as { calls: CallTuple[], unmapped: number }
    const projectIds = tokens.groups.steady!.map((e) => e.projectId)
    const timeline = result.timeline ?? { at: [], index: [] }
    outcomes.steady = {
      windows: edges.slice(1).map((edge, i) => analyseWindow(calls, timeline, projectIds, PROVIDERS, edges[i]!.at, edge.at, ttl, lookupDelta(edges[i]!.lookups, edge.lookups))),
      span: analyseSpan(calls, edges[0]!.at, edges.at(-1)!.at, ttl, o.ttlJitter),
      load: { ...result, timeline: undefined },
      windowMs,
      warmupMs,
      unmappedCalls: unmapped
    }
  } finally {
    await stack.stop()
  }
}

function commandLine () {
  // `npx tsx …` sets npm_lifecycle_event to "npx": that is not a script of package.json.
  const event = process.env.npm_lifecycle_event === 'npx' ? undefined : process.env.npm_lifecycle_event
  const env = benchEnvironment().filter((e) => !(event === 'bench:quick' && e === 'BENCH_QUICK=1'))
  const base = event ? `npm run ${event}` : 'tsx bench/run.ts'
  return [...env, base].join(' ')
}

async function main (options: BenchOptions) {
  // Logs of earlier runs go: each run's are what its report refers to.
  rmSync(LOG_DIR, { recursive: true, force: true })
  if (!HAS_TASKSET) notes.push('**taskset is not available: processes were NOT pinned to separate cores; ratios are less reliable.**')
  log(`${options.quick ? 'QUICK smoke run' : 'benchmark'}: ${options.reps} repetition(s) × ${options.duration} s; logs in ${relative(process.cwd(), BENCH_DIR)}/.out/logs`)
  const backend = await resolveBackend()
  if (!backend.real) notes.push(`Embedded backends (PGlite, in-process memory) for the single-instance scenarios: ${backend.why}.`)
  await singleInstanceScenarios(backend.real)
  await memoryScenario(backend.real)
  await steadyState(backend.real, backend.why)

  const info = {
    command: commandLine(),
    startedAt,
    finishedAt: new Date(),
    backend: backend.real ? `PostgreSQL ${o.databaseUrl} and Redis ${o.redisUrl} (own schema and key prefix per run, dropped after)` : `embedded (${backend.why})`,
    pinned: HAS_TASKSET,
    notes
  }
  const steady = steadyTable(outcomes, options)
  process.stdout.write([
    '',
    `## Targets${options.quick ? ' (QUICK smoke run: 1 short repetition, not a measurement)' : ''}`,
    '',
    targetsTable(outcomes, options),
    '',
    '## Measurements',
    '',
    measurementsTable(outcomes, options),
    ...(steady ? ['', '## Steady state', '', steady] : []),
    ...(outcomes.memory ? ['', '## Resident memory', '', memoryTable(outcomes)] : []),
    ''
  ].join('\n') + '\n')
  mkdirSync(dirname(options.out), { recursive: true })
  writeFileSync(options.out, markdown(outcomes, options, info))
  log(`report written to ${relative(process.cwd(), options.out)}`)
}

try {
  await main(o)
} catch (error) {
  // After Ctrl-C the signal handler is already stopping everything and will exit 130.
  if (wasInterrupted()) await new Promise(() => {})
  process.stderr.write(`\nbench: the harness failed: ${(error as Error).stack ?? error}\n`)
  await stopAll()
  process.exit(1)
}
await stopAll()
