/**
 * How a provider call that did not produce a status is reported. Adapters throw it; the
 * aggregator turns it into the item's `problem` (and the stale fallback).
 */

/**
 * Stable machine codes of what is wrong with an integration (docs/ui.md lists them with their
 * titles). `unknown` is an error answer or an unusable body from the provider.
 */
export const PROBLEM_CODES = [
  'oauth_revoked', 'missing_scopes', 'missing_permissions', 'not_found', 'webhook_disabled', 'webhook_missing',
  'project_paused', 'project_failed', 'database_error', 'rate_limited', 'timeout', 'unknown'
] as const

export type ProblemCode = typeof PROBLEM_CODES[number]

/** A provider call that did not produce a status. `message` goes to logs only, never to a response. */
export class ProviderFailure extends Error {
  override name = 'ProviderFailure'
  readonly code: ProblemCode
  /** Seconds until the provider accepts calls again (rate_limited). */
  readonly retryAfter: number | undefined
  /** The provider's HTTP status, when there was one. */
  readonly status: number | undefined
  /** Set by the aggregator: the circuit was open, so the provider was not called. */
  readonly circuitOpen: boolean
  /** Set by the aggregator: the adapter itself threw something unexpected (a bug to log loudly). */
  readonly internal: boolean

  constructor (code: ProblemCode, message: string, extra: { retryAfter?: number, status?: number, cause?: unknown, circuitOpen?: boolean, internal?: boolean } = {}) {
    super(message, { cause: extra.cause })
    this.code = code
    this.retryAfter = extra.retryAfter
    this.status = extra.status
    this.circuitOpen = extra.circuitOpen ?? false
    this.internal = extra.internal ?? false
  }
}

export const isProviderFailure = (error: unknown): error is ProviderFailure => error instanceof ProviderFailure
