import type { LoadResult } from './lib/protocol.js'
import type { LookupDelta } from './lib/metrics.js'
import type { BenchOptions } from './lib/options.js'
import type { SteadySpan, SteadyWindow } from './lib/steady.js'
import { spread, sum, type Spread } from './lib/stats.js'

/**
 * What is measured and what it must reach (the issue's targets), and the summaries the report
 * prints. Measuring is bench/run.ts's job; nothing here touches a process.
 */

export type ScenarioId = 'warm' | 'warmGzip' | 'notModified' | 'floor' | 'cold' | 'hanging' | 'steady' | 'scaling' | 'memory'

export interface ScenarioDefinition {
  id: ScenarioId
  title: string
  /** One sentence on how it is driven. */
  how: (o: BenchOptions) => string
}

export const SCENARIOS: ScenarioDefinition[] = [
  {
    id: 'warm',
    title: 'warm cache 200',
    how: (o) => `one project, 4 healthy providers, already cached; ${o.connections} connections, no If-None-Match`
  },
  {
    id: 'warmGzip',
    title: 'warm cache 200, Accept-Encoding: gzip',
    how: (o) => `as warm 200, with \`Accept-Encoding: gzip\` (whether the answer came compressed is probed and noted); ${o.connections} connections`
  },
  {
    id: 'notModified',
    title: '304 (If-None-Match)',
    how: (o) => `the same project with If-None-Match; the client takes the new ETag whenever it gets a 200; ${o.connections} connections`
  },
  {
    id: 'floor',
    title: 'authenticated floor: GET /api/auth/session',
    how: (o) => `\`GET /api/auth/session\` on the same instance with the warm run's bearer token (JWT verified through the same plugin stack, logging and metrics; a tiny JSON body, no status work): the cost of the shared per-request stack; ${o.connections} connections, paired with the baseline like warm 200`
  },
  {
    id: 'scaling',
    title: 'warm 200 over N distinct projects',
    how: (o) => `1, 100 and ${o.scaleProjects.toLocaleString('en-US')} distinct projects (one link each, each with its own token), every one asked for once beforehand, then requested in turn; ${o.connections} connections, one run per N per repetition, after all the other scenarios (the 10,000-project step leaves refreshes behind it)`
  },
  {
    id: 'memory',
    title: 'resident memory, projects polled once each',
    how: (o) => `a fresh instance; ${o.memoryProjects.toLocaleString('en-US')} projects without links (each its own token), each asked for once, in ${o.memorySteps} steps; the instance's RSS (from /proc) after each step, no forced GC`
  },
  {
    id: 'cold',
    title: 'cold, slow providers',
    how: (o) => `every request for a project never asked for before (${o.coldRequests} per repetition), simulator adding ${o.coldDelayMs} ms to every provider call; ${o.coldConnections} connections`
  },
  {
    id: 'hanging',
    title: 'one provider hanging',
    how: (o) => `a project whose GitHub never answers (the 3 others healthy), a new one per repetition, measured from its first request; ${o.hangConnections} connections`
  },
  {
    id: 'steady',
    title: 'steady state, 2 instances',
    how: (o) => `${o.steadyProjects} projects, Zipf s=${o.zipfS} popularity, ${o.steadyRate} req/s over two instances sharing Redis and PostgreSQL, STATUS_TTL_MS=${o.steadyTtlMs}`
  }
]

export function titleFor (id: ScenarioId, o: BenchOptions) {
  if (id === 'cold') return `cold, providers +${o.coldDelayMs} ms`
  if (id === 'scaling') return `warm 200, 1 / 100 / ${o.scaleProjects.toLocaleString('en-US')} projects`
  return SCENARIOS.find((s) => s.id === id)!.title
}

/** One repetition of a ratio scenario: the baseline and the service, back to back. */
export interface PairedRun {
  rep: number
  order: 'baseline first' | 'service first'
  baseline: LoadResult
  service: LoadResult
  lookups?: LookupDelta
}

/** One repetition of one step of the scaling scenario. */
export interface ScalingRun extends SingleRun {
  projects: number
}

/** The instance's resident memory once `projects` projects have been asked for. */
export interface MemoryPoint {
  projects: number
  rssBytes: number
}

/** One repetition of a latency scenario (no baseline needed). */
export interface SingleRun {
  rep: number
  service: LoadResult
  lookups?: LookupDelta
}

export interface SteadyRun {
  windows: SteadyWindow[]
  span: SteadySpan
  load: LoadResult
  windowMs: number
  warmupMs: number
  unmappedCalls: number
}

export interface Outcomes {
  warm?: PairedRun[]
  notModified?: PairedRun[]
  /** GET /api/auth/session: the service's HTTP, auth, logging and metrics cost without status work. */
  floor?: PairedRun[]
  warmGzip?: PairedRun[]
  /** Whether the status route's answer to Accept-Encoding: gzip was gzip-encoded (probed once). */
  warmGzipEncoded?: boolean
  scaling?: ScalingRun[]
  memory?: MemoryPoint[]
  cold?: SingleRun[]
  hanging?: SingleRun[]
  steady?: SteadyRun
  /** Why a scenario did not run (route missing, no Redis, …). */
  notRun: Partial<Record<ScenarioId, string>>
}

export interface Row {
  scenario: string
  connections: string
  rps: Spread
  ratio?: Spread
  p50: Spread
  p95: Spread
  p99: Spread
  /** Non-2xx/304 responses, socket errors and timeouts, summed over repetitions. */
  errors: number
  responses: number
  hitRate?: Spread
  note?: string
}

const share = (load: LoadResult, pick: (code: string) => boolean) => {
  const matching = sum(Object.entries(load.statusCodes).filter(([c]) => pick(c)).map(([, n]) => n))
  return load.responses ? matching / load.responses : NaN
}

function latencyRow (scenario: string, connections: string, loads: LoadResult[], extra: Partial<Row> = {}): Row {
  return {
    scenario,
    connections,
    rps: spread(loads.map((l) => l.rps)),
    p50: spread(loads.map((l) => l.latencyMs.p50)),
    p95: spread(loads.map((l) => l.latencyMs.p95)),
    p99: spread(loads.map((l) => l.latencyMs.p99)),
    errors: sum(loads.map((l) => l.errors)),
    responses: sum(loads.map((l) => l.responses)),
    ...extra
  }
}

export function rows (outcomes: Outcomes, o: BenchOptions): Row[] {
  const result: Row[] = []
  const paired = [...(outcomes.warm ?? []), ...(outcomes.warmGzip ?? []), ...(outcomes.notModified ?? []), ...(outcomes.floor ?? [])]
  if (paired.length) {
    const maxCpu = Math.max(...paired.map((p) => p.baseline.cpu))
    result.push(latencyRow('baseline: bare Fastify {"hello":"world"}', String(o.connections), paired.map((p) => p.baseline), {
      note: `${paired.length} runs, one before or after each service run; load generator used ≤ ${(maxCpu * 100).toFixed(0)}% of its core` +
        (maxCpu >= 0.9 ? ' (near saturation: the baseline may be capped by the load generator, which makes ratios look better, not worse)' : '')
    }))
  }
  for (const id of ['warm', 'warmGzip', 'notModified', 'floor'] as const) {
    const runs = outcomes[id]
    if (!runs?.length) continue
    const s304 = spread(runs.map((r) => share(r.service, (c) => c === '304')))
    const s2xx = spread(runs.map((r) => share(r.service, (c) => c.startsWith('2'))))
    const loadCpu = Math.max(...runs.map((r) => r.service.cpu))
    const loadNote = `; load generator ≤ ${(loadCpu * 100).toFixed(0)}% of its core` +
      (loadCpu >= 0.9 ? ' (near saturation: this scenario may be capped by the load generator, which makes its ratio look worse, not better)' : '')
    result.push(latencyRow(titleFor(id, o), String(o.connections), runs.map((r) => r.service), {
      ratio: spread(runs.map((r) => r.service.rps / r.baseline.rps)),
      ...(id === 'floor' ? {} : { hitRate: spread(runs.map((r) => r.lookups?.hitRate ?? NaN)) }),
      note: id === 'notModified'
        ? `304 share ${pct(s304.median)} (min ${pct(s304.min)})` + loadNote
        : `200 share ${pct(s2xx.median)}${id === 'floor' ? '; no status work' : ''}` +
          (id === 'warmGzip' ? `; ${outcomes.warmGzipEncoded ? 'answered gzip-encoded' : 'answered WITHOUT Content-Encoding: gzip'}` : '') +
          loadNote
    }))
  }
  const scaling = outcomes.scaling ?? []
  for (const projects of [...new Set(scaling.map((r) => r.projects))]) {
    const runs = scaling.filter((r) => r.projects === projects)
    result.push(latencyRow(`warm 200, ${projects.toLocaleString('en-US')} distinct project${projects === 1 ? '' : 's'}`, String(o.connections), runs.map((r) => r.service), {
      hitRate: spread(runs.map((r) => r.lookups?.hitRate ?? NaN)),
      note: 'one link per project, projects in turn'
    }))
  }
  const cold = outcomes.cold
  if (cold?.length) {
    const reused = sum(cold.map((r) => r.service.reused))
    result.push(latencyRow(titleFor('cold', o), String(o.coldConnections), cold.map((r) => r.service), {
      hitRate: spread(cold.map((r) => r.lookups?.hitRate ?? NaN)),
      note: `${o.coldRequests} new projects per repetition${reused ? `; ${reused} requests reused a project` : ''}`
    }))
  }
  const hanging = outcomes.hanging
  if (hanging?.length) {
    result.push(latencyRow(titleFor('hanging', o), String(o.hangConnections), hanging.map((r) => r.service), {
      hitRate: spread(hanging.map((r) => r.lookups?.hitRate ?? NaN))
    }))
  }
  const steady = outcomes.steady
  if (steady) {
    result.push(latencyRow(titleFor('steady', o), String(o.steadyConnections), [steady.load], {
      hitRate: spread(steady.windows.map((w) => w.lookups.hitRate)),
      note: `asked for ${o.steadyRate} req/s, got ${Math.round(steady.load.rps)}; latency over the whole run, warm-up included (autocannon paces per second, in bursts)`
    }))
  }
  for (const [id, why] of Object.entries(outcomes.notRun)) {
    result.push({
      scenario: titleFor(id as ScenarioId, o),
      connections: '–',
      rps: spread([]),
      p50: spread([]),
      p95: spread([]),
      p99: spread([]),
      errors: NaN,
      responses: 0,
      note: `NOT RUN: ${why}`
    })
  }
  return result
}

export interface TargetResult {
  scenario: ScenarioId
  target: string
  measured: string
  /** undefined: not measured; 'info': measured, informational only (not one of the issue's targets). */
  pass: boolean | 'info' | undefined
  /** A check that the scenario measured what it claims, not one of the issue's targets. */
  validity?: boolean
}

const ms = (v: number) => Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '–'
const ratio = (v: number) => Number.isFinite(v) ? v.toFixed(2) : '–'
export const pct = (v: number) => Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–'

export function fmtSpread (s: Spread | undefined, f: (v: number) => string = ms) {
  if (!s || s.n === 0) return '–'
  return s.n === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`
}

export function targets (outcomes: Outcomes, o: BenchOptions): TargetResult[] {
  const list: TargetResult[] = []
  const ran = (id: ScenarioId) => id === 'steady' ? outcomes.steady !== undefined : ((outcomes[id] as unknown[] | undefined)?.length ?? 0) > 0
  /** Median (min–max) of per-repetition values; a scenario that ran without usable values FAILs. */
  const add = (scenario: ScenarioId, target: string, values: number[], f: (v: number) => string, ok: (v: number) => boolean, validity = false) => {
    const s = spread(values)
    const extra = validity ? { validity } : {}
    if (!ran(scenario)) return list.push({ scenario, target, measured: notRunText(outcomes, scenario), pass: undefined, ...extra })
    if (s.n === 0) return list.push({ scenario, target, measured: 'no data (see errors)', pass: false, ...extra })
    list.push({ scenario, target, measured: fmtSpread(s, f), pass: ok(s.median), ...extra })
  }
  /** Measured and shown, not one of the issue's targets. */
  const informational = (scenario: ScenarioId, target: string, values: number[], f: (v: number) => string) => {
    const s = spread(values)
    list.push({ scenario, target, measured: !ran(scenario) ? notRunText(outcomes, scenario) : s.n === 0 ? 'no data (see errors)' : fmtSpread(s, f), pass: ran(scenario) ? 'info' : undefined })
  }
  const count = (scenario: ScenarioId, target: string, loads: LoadResult[], validity = false) => {
    const errors = sum(loads.map((l) => l.errors))
    list.push({
      scenario,
      target,
      measured: ran(scenario) ? `${errors} of ${sum(loads.map((l) => l.responses)).toLocaleString('en-US')} responses` : notRunText(outcomes, scenario),
      pass: ran(scenario) ? errors === 0 : undefined,
      ...(validity ? { validity } : {})
    })
  }
  const warm = outcomes.warm ?? []
  const notModified = outcomes.notModified ?? []
  const floor = outcomes.floor ?? []
  const cold = outcomes.cold ?? []
  const hanging = outcomes.hanging ?? []
  const steady = outcomes.steady
  /** Informational: service req/s of a scenario ÷ floor req/s of the same repetition, median (min–max). */
  const overFloor = (scenario: 'warm' | 'notModified', target: string) => {
    const missing = [scenario, 'floor' as const].find((id) => !ran(id))
    if (missing) return list.push({ scenario, target, measured: notRunText(outcomes, missing), pass: undefined })
    const floorRps = new Map(floor.map((r) => [r.rep, r.service.rps]))
    const s = spread((outcomes[scenario] ?? []).map((r) => r.service.rps / (floorRps.get(r.rep) ?? NaN)))
    list.push({ scenario, target, measured: s.n === 0 ? 'no data (see errors)' : fmtSpread(s, ratio), pass: 'info' })
  }
  add('warm', 'warm 200 ≥ 0.5 × baseline req/s', warm.map((r) => r.service.rps / r.baseline.rps), ratio, (v) => v >= 0.5)
  add('warm', `warm 200 p99 < 20 ms at ${o.connections} connections`, warm.map((r) => r.service.latencyMs.p99), ms, (v) => v < 20)
  add('floor', 'authenticated floor ≥ 0.7 × baseline req/s', floor.map((r) => r.service.rps / r.baseline.rps), ratio, (v) => v >= 0.7)
  informational('warmGzip', 'warm 200 with Accept-Encoding: gzip ÷ baseline req/s', (outcomes.warmGzip ?? []).map((r) => r.service.rps / r.baseline.rps), ratio)
  informational('warmGzip', `warm 200 with Accept-Encoding: gzip p99 at ${o.connections} connections`, (outcomes.warmGzip ?? []).map((r) => r.service.latencyMs.p99), ms)
  add('notModified', '304 ≥ 0.6 × baseline req/s', notModified.map((r) => r.service.rps / r.baseline.rps), ratio, (v) => v >= 0.6)
  add('notModified', `304 p99 < 20 ms at ${o.connections} connections`, notModified.map((r) => r.service.latencyMs.p99), ms, (v) => v < 20)
  overFloor('warm', 'warm 200 ÷ authenticated floor req/s')
  overFloor('notModified', '304 ÷ authenticated floor req/s')
  add('cold', `cold (+${o.coldDelayMs} ms per provider call) p95 < 300 ms`, cold.map((r) => r.service.latencyMs.p95), ms, (v) => v < 300)
  add('hanging', 'one provider hanging: p99 ≤ 500 ms', hanging.map((r) => r.service.latencyMs.p99), ms, (v) => v <= 500)
  count('hanging', 'one provider hanging: no error responses (all repetitions)', hanging.map((r) => r.service))
  add('steady', 'steady state: cache hit rate ≥ 95% (hit + stale of all lookups, both instances)', (steady?.windows ?? []).map((w) => w.lookups.hitRate), pct, (v) => v >= 0.95)
  const callsTarget = 'steady state: provider calls per (project, provider) per TTL window ≤ 1'
  if (steady && steady.span.calls > 0) {
    const maxPerTtl = Math.max(...steady.windows.map((w) => w.maxPerTtl))
    const mean = spread(steady.windows.map((w) => w.meanPerTtl))
    list.push({
      scenario: 'steady',
      target: callsTarget,
      measured: `max ${steady.span.maxInFreshWindow} in any ${Math.round(o.steadyTtlMs * (1 - o.ttlJitter))} ms window (shortest fresh TTL); ` +
        `per pair per TTL: mean ${fmtSpread(mean, ratio)}, max ${ratio(maxPerTtl)}; ${steady.span.seriesOverOne} of ${steady.span.series} endpoint series called again early`,
      pass: steady.span.maxInFreshWindow <= 1 && mean.median <= 1
    })
  } else {
    list.push({ scenario: 'steady', target: callsTarget, measured: steady ? 'no provider calls recorded (see errors)' : notRunText(outcomes, 'steady'), pass: steady ? false : undefined })
  }

  // Validity: each scenario measured what its name says.
  add('notModified', '304 run answered 304 (≥ 95% of responses)', notModified.map((r) => share(r.service, (c) => c === '304')), pct, (v) => v >= 0.95, true)
  add('warm', 'warm run served from cache (hit rate ≥ 99%)', warm.map((r) => r.lookups?.hitRate ?? NaN), pct, (v) => v >= 0.99, true)
  add('cold', 'cold run missed the cache (hit rate ≤ 10%)', cold.map((r) => r.lookups?.hitRate ?? NaN), pct, (v) => v <= 0.1, true)
  add('floor', 'floor run answered 200 (≥ 99% of responses)', floor.map((r) => share(r.service, (c) => c === '200')), pct, (v) => v >= 0.99, true)
  count('warm', 'no error responses: baseline, warm 200, 304', [...warm, ...notModified].flatMap((r) => [r.service, r.baseline]), true)
  count('floor', 'no error responses: authenticated floor and its baseline', floor.flatMap((r) => [r.service, r.baseline]), true)
  count('cold', 'no error responses: cold', cold.map((r) => r.service), true)
  count('steady', 'no error responses: steady state', steady ? [steady.load] : [], true)
  return list
}

function notRunText (outcomes: Outcomes, id: ScenarioId) {
  const why = outcomes.notRun[id]
  return why ? `not run: ${why}` : 'not run'
}
