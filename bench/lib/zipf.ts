/** A small seeded PRNG, so every run asks for the same sequence of projects. */
export function mulberry32 (seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Zipf over ranks 0…n-1: P(rank k) ∝ 1/(k+1)^s. Returns a sampler of ranks. */
export function createZipf (n: number, s: number, random: () => number) {
  const cdf = new Float64Array(n)
  let total = 0
  for (let k = 0; k < n; k++) {
    total += 1 / Math.pow(k + 1, s)
    cdf[k] = total
  }
  for (let k = 0; k < n; k++) cdf[k]! /= total
  return () => {
    const u = random()
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid]! < u) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
