import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { CheckResult } from '../../src/provider-kit/manifest.js'
import type { ProviderResponse } from '../../src/provider-kit/http.js'
import { parseRetryAfter, secondsUntilEpoch } from '../../src/provider-kit/http.js'

/** Statuses a check can still read a status from; anything else is a failed call. */
const READABLE = new Set([200, 403, 404])

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const errorOf = (body: unknown) => isRecord(body) && isRecord(body.error) ? body.error : {}

/** Vercel answers a bad or missing token with 403, told apart from a scope 403 by these flags. */
const isInvalidToken = (res: ProviderResponse) => {
  const error = errorOf(res.body)
  return res.status === 403 && (error.invalidToken === true || error.missingToken === true)
}

function epochHeader (value: string | undefined, now: number) {
  const n = Number(value)
  return value !== undefined && value.trim() !== '' && Number.isFinite(n) ? secondsUntilEpoch(n, now) : undefined
}

export function rateLimitRetryAfter (res: ProviderResponse, now: number) {
  const limit = errorOf(res.body).limit
  const reset = isRecord(limit) && typeof limit.reset === 'number' ? secondsUntilEpoch(limit.reset, now) : undefined
  return parseRetryAfter(res.headers['retry-after'], now) ?? reset ?? epochHeader(res.headers['x-ratelimit-reset'], now) ?? 60
}

/** Throws for the answers that carry no status: bad token, rate limit, server errors. */
export function throwOnFailedCalls (responses: ProviderResponse[], now: number) {
  const revoked = responses.find(isInvalidToken)
  if (revoked) throw new ProviderFailure('oauth_revoked', 'Vercel rejected the token (403 invalid token)', { status: 403 })
  const limited = responses.find((r) => r.status === 429)
  if (limited) {
    throw new ProviderFailure('rate_limited', 'Vercel rate limit (429)', { retryAfter: rateLimitRetryAfter(limited, now), status: 429 })
  }
  const failed = responses.find((r) => !READABLE.has(r.status))
  if (failed) throw new ProviderFailure('unknown', `Vercel answered ${failed.status}`, { status: failed.status })
}

/** A valid token that cannot reach the team or project. Ids are for members only. */
export function noAccess ({ projectId, teamId }: { projectId: string, teamId?: string | undefined }): CheckResult {
  return {
    status: 'warning',
    summary: 'No access to the project',
    problem: {
      code: 'missing_permissions',
      hint: `Reconnect Vercel with a token that can reach project ${projectId}${teamId ? ` in team ${teamId}` : ''}`
    },
    viewer: { hint: 'Reconnect Vercel with a token that can reach the project' },
    suggestReconnect: true
  }
}

export const projectNotFound = (): CheckResult => ({ status: 'error', summary: 'Project not found', problem: { code: 'not_found', hint: 'Check the project id (and team) of the link' } })
