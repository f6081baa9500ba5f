/** Nearest-rank percentile of an ascending array (q in 0…1). */
export function percentile (sorted: readonly number[], q: number) {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil(q * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

export interface Spread {
  median: number
  min: number
  max: number
  n: number
}

/** Median with min and max of the repetitions' values (NaN values are left out). */
export function spread (values: readonly number[]): Spread {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 }
  const mid = v.length >> 1
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2
  return { median, min: v[0]!, max: v.at(-1)!, n: v.length }
}

export const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0)
