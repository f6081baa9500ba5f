/** `status_cache_lookups_total` summed by result (hit | stale | miss). */
export type Lookups = Record<string, number>

const LOOKUPS = 'status_cache_lookups_total'

/** The lookups among scraped samples (parseSamples / scrapeSamples), by result. */
export const lookupsOf = (samples: Record<string, number>): Lookups => deltaBy({}, samples, LOOKUPS, 'result')

/** Sum of /metrics lookups over several instances. */
export async function scrapeLookups (urls: readonly string[]): Promise<Lookups> {
  return lookupsOf(await scrapeSamples(urls, [LOOKUPS]))
}

export interface LookupDelta { hit: number, stale: number, miss: number, total: number, hitRate: number }

/** What happened between two scrapes; hit rate = (hit + stale) / all lookups (NaN when none). */
export function lookupDelta (before: Lookups, after: Lookups): LookupDelta {
  const d = (k: string) => (after[k] ?? 0) - (before[k] ?? 0)
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  let total = 0
  for (const k of keys) total += d(k)
  const hit = d('hit')
  const stale = d('stale')
  return { hit, stale, miss: d('miss'), total, hitRate: total > 0 ? (hit + stale) / total : NaN }
}

/** Every sample of the named counters on a /metrics page, as `name{labels}` → value. */
export function parseSamples (text: string, names: readonly string[]): Record<string, number> {
  const samples: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([0-9.eE+-]+)/.exec(line)
    if (!match || !names.includes(match[1]!)) continue
    const key = `${match[1]}${match[2] ?? ''}`
    samples[key] = (samples[key] ?? 0) + Number(match[3])
  }
  return samples
}

/** The named counters summed over several instances' /metrics. */
export async function scrapeSamples (urls: readonly string[], names: readonly string[]) {
  // At once, so the instances are read at as nearly the same moment as possible.
  const pages = await Promise.all(urls.map(async (url) => {
    const response = await fetch(`${url}/metrics`)
    if (!response.ok) throw new Error(`${url}/metrics answered ${response.status}`)
    return parseSamples(await response.text(), names)
  }))
  const total: Record<string, number> = {}
  for (const page of pages) for (const [key, value] of Object.entries(page)) total[key] = (total[key] ?? 0) + value
  return total
}

/** after − before of every sample whose key starts with `prefix`, summed by the value of `label` ('' = all). */
export function deltaBy (before: Record<string, number>, after: Record<string, number>, prefix: string, label?: string) {
  const sums: Record<string, number> = {}
  for (const [key, value] of Object.entries(after)) {
    if (!key.startsWith(prefix) || (key.length > prefix.length && key[prefix.length] !== '{')) continue
    const group = label ? (new RegExp(`${label}="([^"]*)"`).exec(key)?.[1] ?? '') : ''
    sums[group] = (sums[group] ?? 0) + value - (before[key] ?? 0)
  }
  return sums
}
