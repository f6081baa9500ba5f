/** Wording shared by every adapter's summaries, so the status bar reads the same everywhere. */

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** "just now", "2m ago", "3h ago", "5d ago". Future instants (clock skew) read "just now". */
export function timeAgo (at: number, now: number) {
  const age = now - at
  if (age < MINUTE) return 'just now'
  if (age < HOUR) return `${Math.floor(age / MINUTE)}m ago`
  if (age < DAY) return `${Math.floor(age / HOUR)}h ago`
  return `${Math.floor(age / DAY)}d ago`
}

/** Whole days between two instants, rounded down. */
export const daysBetween = (from: number, to: number) => Math.floor((to - from) / DAY)

/** "1 deployment", "3 deployments". */
export const plural = (count: number, noun: string, pluralNoun = `${noun}s`) => `${count} ${count === 1 ? noun : pluralNoun}`

/** Midnight UTC of the instant's day. */
export const startOfUtcDay = (ms: number) => ms - (((ms % DAY) + DAY) % DAY)

/** Monday 00:00 UTC of the instant's ISO week. */
export function startOfUtcWeek (ms: number) {
  const day = startOfUtcDay(ms)
  return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY
}
