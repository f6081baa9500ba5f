/** The content codings this service pre-computes, best first (smaller wins at equal preference). */
export type Coding = 'br' | 'gzip' | 'identity'

const PREFERENCE: readonly Coding[] = ['br', 'gzip', 'identity']

/** The last header value and the coding it picked: clients send the same few values over and over. */
let lastHeader: string | undefined
let lastCoding: Coding = 'identity'

/**
 * The coding to answer with for an Accept-Encoding value (RFC 9110 §12.5.3): the highest q wins,
 * br before gzip before identity at equal q; `*` stands for every coding not named; identity is
 * acceptable unless refused (`identity;q=0`, or `*;q=0` without naming it). When everything is
 * refused the answer is identity anyway, which the RFC allows instead of a 406.
 */
export function negotiateCoding (header: string | undefined): Coding {
  if (header === undefined || header === '') return 'identity'
  if (header === lastHeader) return lastCoding
  const q = new Map<string, number>()
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';')
    const coding = name!.trim().toLowerCase()
    if (coding === '') continue
    let weight = 1
    for (const param of params) {
      const [key, value] = param.split('=')
      if (key?.trim().toLowerCase() === 'q') {
        const parsed = Number(value?.trim())
        weight = Number.isFinite(parsed) && parsed >= 0 && parsed <= 1 ? parsed : 0
      }
    }
    // x-gzip is gzip's old alias (RFC 9110 §8.4.1.3).
    q.set(coding === 'x-gzip' ? 'gzip' : coding, weight)
  }
  const star = q.get('*')
  // Unnamed identity is acceptable, but only as the last resort (unless `*` says otherwise).
  const weightOf = (coding: Coding) => q.get(coding) ?? star ?? (coding === 'identity' ? Number.MIN_VALUE : 0)
  let best: Coding = 'identity'
  let bestWeight = 0
  for (const coding of PREFERENCE) {
    const weight = weightOf(coding)
    if (weight > bestWeight) {
      best = coding
      bestWeight = weight
    }
  }
  lastHeader = header
  lastCoding = best
  return best
}
