import { timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/** Helpers for webhook signature checks, which always run over the raw body bytes. */

/** Constant-time string comparison (different lengths are unequal, without comparing). */
export function constantTimeEqual (given: string, expected: string) {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** One header's value; a repeated header is no value (a signature is never sent twice). */
export const headerValue = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name]
  return typeof value === 'string' ? value : undefined
}

/** A JSON body's object, or {} for anything else. */
export const asObject = (value: unknown): Record<string, unknown> =>
  (typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {})
