import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { ProviderResponse } from '../../src/provider-kit/http.js'
import { parseRetryAfter, secondsUntilEpoch } from '../../src/provider-kit/http.js'

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** N-OAS `definitions.error`: `{ code: integer, message: string }` (message required). */
export function errorMessage (res: ProviderResponse) {
  return isRecord(res.body) && typeof res.body.message === 'string' ? res.body.message : undefined
}

/**
 * Seconds until Netlify takes calls again. Netlify's API guide documents `X-RateLimit-Reset` in
 * epoch seconds and no `Retry-After`; a `Retry-After` is still honoured first in case a proxy or
 * a future Netlify sends one. Neither readable → 60 (the limit is per minute).
 */
export function rateLimitRetryAfter (res: ProviderResponse, now: number) {
  const reset = res.headers['x-ratelimit-reset']
  const epoch = reset !== undefined && /^\d+$/.test(reset.trim()) ? secondsUntilEpoch(Number(reset), now) : undefined
  return parseRetryAfter(res.headers['retry-after'], now) ?? epoch ?? 60
}

/** Statuses a status check can still read something from (404: the site is gone or out of reach). */
const READABLE = new Set([200, 404])

/** Throws for the answers that carry no status: refused token, rate limit, anything else unexpected. */
export function throwOnFailedCalls (responses: ProviderResponse[], now: number) {
  // N-DOCS / N-OAS: a missing, revoked or invalid token is 401 (tokens have no scopes, so no 403 for scope).
  if (responses.some((r) => r.status === 401)) throw new ProviderFailure('oauth_revoked', 'Netlify rejected the token (401)', { status: 401 })
  const limited = responses.find((r) => r.status === 429)
  if (limited) {
    throw new ProviderFailure('rate_limited', 'Netlify rate limit (429)', { retryAfter: rateLimitRetryAfter(limited, now), status: 429 })
  }
  const failed = responses.find((r) => !READABLE.has(r.status))
  if (failed) throw new ProviderFailure('unknown', `Netlify answered ${failed.status}`, { status: failed.status })
}
