import type { CallTuple } from './protocol.js'
import type { LookupDelta } from './metrics.js'

/**
 * Steady-state bookkeeping from the simulator's call log and the load generator's timeline.
 *
 * A "provider call" for a (project, provider) pair is counted per endpoint: an adapter may call
 * several endpoints in one check (or one path with different queries), so the pair's count is
 * the largest count over its endpoints (method, path, query). A second check for the same pair
 * doubles every endpoint's count, so a duplicate refresh is never hidden.
 */

export interface SteadyWindow {
  from: number
  to: number
  requests: number
  lookups: LookupDelta
  /** (project, provider) pairs whose project was requested in the window. */
  pairs: number
  /** Provider calls per pair per TTL, normalised by the window's length in TTLs. */
  meanPerTtl: number
  maxPerTtl: number
}

export interface SteadySpan {
  /** Most calls of one pair's endpoint inside any window of ttl·(1−jitter) (the shortest fresh time). */
  maxInFreshWindow: number
  /** The same over a nominal TTL (jitter allows 2 here without any duplicate). */
  maxInTtlWindow: number
  /** Endpoint series with two calls inside a shortest fresh window, and how many series there were. */
  seriesOverOne: number
  series: number
  calls: number
}

const pairKey = (projectId: string, provider: string) => `${projectId}\0${provider}`

export function analyseWindow (
  calls: readonly CallTuple[],
  timeline: { at: number[], index: number[] },
  projectIds: readonly string[],
  providers: readonly string[],
  from: number,
  to: number,
  ttlMs: number,
  lookups: LookupDelta
): SteadyWindow {
  const requested = new Set<string>()
  let requests = 0
  for (let i = 0; i < timeline.at.length; i++) {
    const at = timeline.at[i]!
    if (at < from || at >= to) continue
    requests++
    requested.add(projectIds[timeline.index[i]!]!)
  }
  const perEndpoint = new Map<string, number>()
  for (const [projectId, provider, method, path, at] of calls) {
    if (at < from || at >= to) continue
    const key = `${pairKey(projectId, provider)}\0${method} ${path}`
    perEndpoint.set(key, (perEndpoint.get(key) ?? 0) + 1)
  }
  const perPair = new Map<string, number>()
  for (const [key, count] of perEndpoint) {
    const pair = key.split('\0').slice(0, 2).join('\0')
    perPair.set(pair, Math.max(perPair.get(pair) ?? 0, count))
  }
  const ttls = (to - from) / ttlMs
  let total = 0
  let max = 0
  let pairs = 0
  for (const projectId of requested) {
    for (const provider of providers) {
      const rate = (perPair.get(pairKey(projectId, provider)) ?? 0) / ttls
      total += rate
      max = Math.max(max, rate)
      pairs++
    }
  }
  return { from, to, requests, lookups, pairs, meanPerTtl: pairs ? total / pairs : NaN, maxPerTtl: pairs ? max : NaN }
}

export function analyseSpan (calls: readonly CallTuple[], from: number, to: number, ttlMs: number, jitter: number): SteadySpan {
  const series = new Map<string, number[]>()
  let count = 0
  for (const [projectId, provider, method, path, at] of calls) {
    if (at < from || at >= to) continue
    count++
    const key = `${pairKey(projectId, provider)}\0${method} ${path}`
    let list = series.get(key)
    if (!list) series.set(key, list = [])
    list.push(at)
  }
  // A few ms of slack: endpoints later in a check start a little later or earlier each time.
  const fresh = ttlMs * (1 - jitter) - 50
  let maxInFreshWindow = 0
  let maxInTtlWindow = 0
  let seriesOverOne = 0
  for (const times of series.values()) {
    times.sort((a, b) => a - b)
    const inFresh = maxInWindow(times, fresh)
    if (inFresh > 1) seriesOverOne++
    maxInFreshWindow = Math.max(maxInFreshWindow, inFresh)
    maxInTtlWindow = Math.max(maxInTtlWindow, maxInWindow(times, ttlMs))
  }
  return { maxInFreshWindow, maxInTtlWindow, seriesOverOne, series: series.size, calls: count }
}

/** Most sorted instants inside any half-open window of `length`. */
function maxInWindow (times: readonly number[], length: number) {
  let best = 0
  let start = 0
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= length) start++
    best = Math.max(best, end - start + 1)
  }
  return best
}
