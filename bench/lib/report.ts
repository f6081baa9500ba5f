import { execFileSync } from 'node:child_process'
import { cpus, availableParallelism, release } from 'node:os'
import { rows, targets, fmtSpread, pct, SCENARIOS, type Outcomes, type PairedRun, type TargetResult } from '../scenarios.js'
import type { BenchOptions } from './options.js'

/** The report: targets, measurements, steady-state windows, per-repetition numbers, method. */

export interface RunInfo {
  command: string
  startedAt: Date
  finishedAt: Date
  backend: string
  pinned: boolean
  notes: string[]
}

/** A Markdown table with padded columns, readable on a terminal too. */
export function table (header: string[], body: string[][], align: Array<'l' | 'r'> = []) {
  const cells = [header, ...body].map((r) => r.map((c) => c.replace(/\|/g, '\\|')))
  const widths = header.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => '| ' + widths.map((w, i) => align[i] === 'r' ? (r[i] ?? '').padStart(w) : (r[i] ?? '').padEnd(w)).join(' | ') + ' |'
  const rule = '|' + widths.map((w, i) => align[i] === 'r' ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2)).join('|') + '|'
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n')
}

const verdict = (t: TargetResult) => t.pass === undefined ? 'NOT RUN' : t.pass === 'info' ? 'info' : t.pass ? 'PASS' : 'FAIL'
const n0 = (v: number) => Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–'
const r2 = (v: number) => Number.isFinite(v) ? v.toFixed(2) : '–'

export function targetsTable (outcomes: Outcomes, o: BenchOptions) {
  const list = targets(outcomes, o)
  return table(
    ['target', 'measured: median (min–max)', 'result'],
    list.map((t) => [t.validity ? `(check) ${t.target}` : t.pass === 'info' ? `(info) ${t.target}` : t.target, t.measured, verdict(t)])
  )
}

export function measurementsTable (outcomes: Outcomes, o: BenchOptions) {
  return table(
    ['scenario', 'conns', 'req/s', '× baseline req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'cache hit', 'notes'],
    rows(outcomes, o).map((r) => [
      r.scenario,
      r.connections,
      fmtSpread(r.rps, n0),
      r.ratio ? fmtSpread(r.ratio, r2) : '–',
      fmtSpread(r.p50),
      fmtSpread(r.p95),
      fmtSpread(r.p99),
      Number.isFinite(r.errors) ? `${r.errors} / ${n0(r.responses)}` : '–',
      r.hitRate ? fmtSpread(r.hitRate, pct) : '–',
      r.note ?? ''
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']
  )
}

export function steadyTable (outcomes: Outcomes, o: BenchOptions) {
  const steady = outcomes.steady
  if (!steady) return ''
  return table(
    ['window', 'seconds', 'requests', 'lookups (hit/stale/miss)', 'hit rate', 'pairs requested', 'calls per pair per TTL: mean', 'max'],
    steady.windows.map((w, i) => [
      String(i + 1),
      ((w.to - w.from) / 1000).toFixed(1),
      n0(w.requests),
      `${n0(w.lookups.hit)} / ${n0(w.lookups.stale)} / ${n0(w.lookups.miss)}`,
      pct(w.lookups.hitRate),
      n0(w.pairs),
      r2(w.meanPerTtl),
      r2(w.maxPerTtl)
    ]),
    ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']
  ) + `\n\nOver all ${steady.windows.length} windows: ${n0(steady.span.calls)} provider calls in ${n0(steady.span.series)} (pair, endpoint) series; ` +
    `most calls of one series in any ${Math.round(o.steadyTtlMs * (1 - o.ttlJitter))} ms window: ${steady.span.maxInFreshWindow}, ` +
    `in any ${o.steadyTtlMs} ms window: ${steady.span.maxInTtlWindow}; series repeated inside a shortest fresh window: ${steady.span.seriesOverOne}.` +
    (steady.unmappedCalls ? ` ${steady.unmappedCalls} simulator calls carried no known token.` : '')
}

/** RSS after each step of the memory scenario, and the growth per 1,000 projects over the step. */
export function memoryTable (outcomes: Outcomes) {
  const points = outcomes.memory ?? []
  if (points.length === 0) return ''
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1)
  return table(
    ['projects asked for', 'RSS MiB', 'growth over the step, KiB per 1,000 projects'],
    points.map((p, i) => {
      const before = points[i - 1]
      const growth = before ? ((p.rssBytes - before.rssBytes) / 1024 / ((p.projects - before.projects) / 1000)).toFixed(0) : '–'
      return [p.projects.toLocaleString('en-US'), mib(p.rssBytes), growth]
    }),
    ['r', 'r', 'r']
  )
}

export function repetitionsTable (outcomes: Outcomes) {
  const reps = new Map<number, string[]>()
  const cells = (rep: number) => {
    let r = reps.get(rep)
    if (!r) reps.set(rep, r = [String(rep), '', '', '', '', '', '', '', '', '', '', '', '', '', ''])
    return r
  }
  const floorRps = new Map((outcomes.floor ?? []).map((r) => [r.rep, r.service.rps]))
  const overFloor = (r: PairedRun) => floorRps.has(r.rep) ? r2(r.service.rps / floorRps.get(r.rep)!) : ''
  for (const r of outcomes.warm ?? []) Object.assign(cells(r.rep), { 1: r.order, 2: n0(r.baseline.rps), 3: n0(r.service.rps), 4: r2(r.service.rps / r.baseline.rps), 11: overFloor(r) })
  for (const r of outcomes.notModified ?? []) Object.assign(cells(r.rep), { 1: r.order, 5: n0(r.baseline.rps), 6: n0(r.service.rps), 7: r2(r.service.rps / r.baseline.rps), 12: overFloor(r) })
  for (const r of outcomes.floor ?? []) Object.assign(cells(r.rep), { 1: r.order, 8: n0(r.baseline.rps), 9: n0(r.service.rps), 10: r2(r.service.rps / r.baseline.rps) })
  for (const r of outcomes.cold ?? []) cells(r.rep)[13] = r.service.latencyMs.p95.toFixed(0)
  for (const r of outcomes.hanging ?? []) cells(r.rep)[14] = `${r.service.latencyMs.p99.toFixed(0)} / ${r.service.errors}`
  if (reps.size === 0) return ''
  return table(
    ['rep', 'order', 'baseline req/s', 'warm 200 req/s', 'ratio', 'baseline req/s', '304 req/s', 'ratio', 'baseline req/s', 'floor req/s', 'ratio', 'warm ÷ floor', '304 ÷ floor', 'cold p95 ms', 'hanging p99 ms / errors'],
    [...reps.values()],
    ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']
  )
}

/** What the figures were measured on (CPU, cores, kernel, commit). */
export function machine () {
  let nproc = String(availableParallelism())
  try { nproc = execFileSync('nproc', { encoding: 'utf8' }).trim() } catch {}
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim() !== ''
    if (dirty) commit += ' (with uncommitted changes)'
  } catch {}
  return { nproc, cpu: cpus()[0]?.model ?? 'unknown', kernel: release(), commit }
}

export function markdown (outcomes: Outcomes, o: BenchOptions, info: RunInfo) {
  const m = machine()
  const minutes = (info.finishedAt.getTime() - info.startedAt.getTime()) / 60_000
  const steady = steadyTable(outcomes, o)
  const perRep = repetitionsTable(outcomes)
  const lines = [
    '# Performance',
    '',
    `Written by \`${info.command}\` (bench/run.ts); rerun it to refresh. Numbers are measured, never edited by hand.`,
    ...(o.quick ? ['', '> **Quick smoke run** (one short repetition): it checks the harness, not the service. Use `npm run bench` for numbers.'] : []),
    ...info.notes.map((n) => `\n> ${n}`),
    '',
    table(['', ''], [
      ['date', info.startedAt.toISOString()],
      ['command', `\`${info.command}\``],
      ['machine', `${m.cpu}, nproc ${m.nproc}, Linux ${m.kernel}`],
      ['node', process.version],
      ['commit', m.commit],
      ['backends', info.backend],
      ['pinning', info.pinned ? `service instances and baseline on CPU ${o.serverCpu}; load generator on CPU ${o.loadCpu}; provider simulator on CPU ${o.simulatorCpu} (taskset)` : 'NOT pinned (taskset unavailable)'],
      ['repetitions', `${o.reps} × ${o.duration} s per throughput measurement; ${o.warmup} s warm-up per server`],
      ['wall time', `${minutes.toFixed(1)} min`]
    ]),
    '',
    '## Targets',
    '',
    'Each value is the median over the repetitions, with min–max in brackets. FAIL is reported as measured. Rows marked info are references, not targets of the issue.',
    '',
    targetsTable(outcomes, o),
    '',
    '## Measurements',
    '',
    'req/s and latency per scenario (median (min–max) over repetitions); errors = responses other than 2xx/304, socket errors and timeouts, summed over repetitions; cache hit = (hit + stale) / lookups from the service\'s `/metrics`.',
    '',
    measurementsTable(outcomes, o),
    ...(steady ? ['', `## Steady state (${o.steadyProjects} projects, two instances)`, '', steady] : []),
    ...(outcomes.memory ? ['', `## Resident memory (${o.memoryProjects.toLocaleString('en-US')} projects, each asked for once)`, '', memoryTable(outcomes)] : []),
    ...(perRep ? ['', '## Per repetition', '', perRep] : []),
    '',
    '## Method',
    '',
    ...method(o).map((l) => `- ${l}`),
    ''
  ]
  return lines.join('\n')
}

function method (o: BenchOptions) {
  return [
    'Servers and the load generator are separate Node processes on loopback. The baseline (bare Fastify, no logger, one route answering `{"hello":"world"}`) and the service instances run on one CPU, the load generator (autocannon 8\'s programmatic API in its own process) on the other, with `taskset`. The provider simulator (test/simulator) stands for the outside world and runs with the load generator (it is idle during the warm 200, 304 and floor runs); each provider API gets its own loopback port (a TCP relay to the simulator), so the service keeps one connection pool per provider as it would in production instead of sharing one. PostgreSQL and Redis are not pinned.',
    'Every repetition measures the baseline and the service back to back, alternating which goes first; a ratio is service req/s ÷ baseline req/s of the same repetition, and the table shows the median of the repetitions\' ratios with min–max, since these machines swing by 25–80% between single runs.',
    'The authenticated floor (`GET /api/auth/session`, same instance, same bearer token, measured between the warm 200 and 304 runs of each repetition) is the cost of this service\'s HTTP, auth, logging and metrics stack with no status work, so warm 200 or 304 req/s ÷ floor req/s of the same repetition isolates what the status route itself costs; those two rows are informational, not targets.',
    'Latency is each response\'s time as autocannon reports it, collected by the load generator (autocannon\'s own summary has no p95); percentiles by nearest rank per run, then the median over repetitions. The steady-state run is paced at a fixed rate, so its latency includes autocannon\'s per-second bursts.',
    'The service runs as `npm run dev` does (TypeScript through tsx, which only changes module loading) with `NODE_ENV=production` and `LOG_LEVEL=' + o.logLevel + '` (per-request info logs off, as the baseline has no logger); STATUS_DEADLINE_MS and PROVIDER_TIMEOUT_MS at their defaults (400 ms, 3 s).',
    ...SCENARIOS.map((s) => `**${s.title}**: ${s.how(o)}.`),
    'Warm 200, 304, the authenticated floor, cold and hanging use one instance with the default STATUS_TTL_MS (15 s); the 304 client revalidates with the last ETag it saw, so a refresh that changes the body costs one 200 per connection.',
    `Steady state: two instances share Redis and PostgreSQL; every project is asked for once, then after a warm-up of ${o.steadyWarmupTtls} TTL(s) under the skewed load, ${o.reps} consecutive windows of ${o.steadyWindowTtls} TTL(s) (STATUS_TTL_MS=${o.steadyTtlMs}, set small so that windows span whole TTLs). Hit rate is from the difference of \`status_cache_lookups_total\` summed over both instances between window edges. Provider calls come from the simulator's call log: each (project, provider) has its own token; a pair's count is the largest count over the endpoints it called (method, path and query with instants blanked; one check may call several), so a duplicate refresh doubles it. "Per TTL" divides by the window's length in TTLs (mean and max over the pairs whose project was requested in the window); the pass criterion is that no endpoint of any pair was called twice within ${Math.round(o.steadyTtlMs * (1 - o.ttlJitter))} ms, the shortest fresh time under the ±${Math.round(o.ttlJitter * 100)}% jitter, and that the mean is at most 1.`,
    'Every knob is a BENCH_* environment variable (bench/lib/options.ts): BENCH_REPS, BENCH_DURATION, BENCH_CONNECTIONS, BENCH_STEADY_TTL_MS, BENCH_STEADY_RATE, BENCH_BACKEND, BENCH_ONLY, …; BENCH_QUICK=1 (`npm run bench:quick`) is a one-repetition smoke run written to bench/.out/.'
  ]
}
