import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { CheckResult } from '../../src/provider-kit/manifest.js'
import type { ProviderResponse } from '../../src/provider-kit/http.js'
import { parseRetryAfter, secondsUntilEpoch } from '../../src/provider-kit/http.js'

/** Statuses a check can still read a status from; anything else is a failed call. */
const READABLE = new Set([200, 403, 404])

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const messageOf = (body: unknown) => isRecord(body) && typeof body.message === 'string' ? body.message : ''

/**
 * Seconds to wait when the response is a rate limit, else undefined. A 403 is ambiguous on
 * GitHub (rate limit or missing permission), so it needs one of the documented signals.
 */
export function rateLimitRetryAfter (res: ProviderResponse, now: number): number | undefined {
  if (res.status !== 403 && res.status !== 429) return undefined
  const h = res.headers
  const exhausted = h['x-ratelimit-remaining'] === '0'
  const signalled = exhausted || h['retry-after'] !== undefined || /rate limit/i.test(messageOf(res.body))
  if (res.status === 403 && !signalled) return undefined
  const retryAfter = parseRetryAfter(h['retry-after'], now)
  if (retryAfter !== undefined) return retryAfter
  // The reset belongs to the primary window; a secondary limit with quota left says nothing about it.
  const reset = Number(h['x-ratelimit-reset'])
  if (exhausted && h['x-ratelimit-reset'] && Number.isFinite(reset)) return secondsUntilEpoch(reset, now)
  return 60
}

/** Throws for the answers that carry no status: bad credentials, rate limits, server errors. */
export function throwOnFailedCalls (responses: ProviderResponse[], now: number) {
  const revoked = responses.find((r) => r.status === 401)
  if (revoked) throw new ProviderFailure('oauth_revoked', 'GitHub rejected the token (401)', { status: 401 })
  for (const res of responses) {
    const retryAfter = rateLimitRetryAfter(res, now)
    if (retryAfter !== undefined) {
      throw new ProviderFailure('rate_limited', `GitHub rate limit (${res.status})`, { retryAfter, status: res.status })
    }
  }
  const failed = responses.find((r) => !READABLE.has(r.status))
  if (failed) throw new ProviderFailure('unknown', `GitHub answered ${failed.status}`, { status: failed.status })
}

/** Fine-grained and App tokens get 403 plus the permissions the endpoint would have accepted. */
export function missingPermissions (res: ProviderResponse): CheckResult {
  const accepted = res.headers['x-accepted-github-permissions']?.trim()
  return {
    status: 'warning',
    summary: 'Missing permissions',
    problem: {
      code: 'missing_permissions',
      hint: accepted
        ? `Reconnect GitHub and grant the token these permissions: ${accepted}`
        : 'Reconnect GitHub and grant the token access to the linked repository'
    },
    suggestReconnect: true
  }
}

export function missingScopes (scopes: string[]): CheckResult {
  const list = scopes.join(', ')
  return {
    status: 'warning',
    summary: `Missing scopes: ${list}`,
    problem: { code: 'missing_scopes', hint: `Reconnect GitHub and grant the ${list} scope${scopes.length === 1 ? '' : 's'}` },
    suggestReconnect: true
  }
}

/** Classic and OAuth tokens list their scopes; fine-grained and App tokens send no header. */
export function parseScopes (header: string | undefined): string[] | undefined {
  if (header === undefined) return undefined
  return header.split(',').map((s) => s.trim()).filter(Boolean)
}

/** The scope the token lacks for this repository, if any. */
export function lackingScope (scopes: string[], isPrivate: boolean) {
  if (scopes.includes('repo')) return undefined
  if (!isPrivate && scopes.includes('public_repo')) return undefined
  return isPrivate ? 'repo' : 'public_repo'
}
