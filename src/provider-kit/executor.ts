import type { Role } from '../schemas/common.js'
import type { StoredCredentials } from './credentials.js'
import type { ProviderHttp } from './http.js'

/**
 * What an action executor is: the provider-specific half of a quick action. The action service
 * (src/actions) owns idempotency, permissions, queueing, leases, retries and publishing; an
 * executor only does the work, through the provider's API, and says what came of it.
 */

/** The action's own failure: ends it `failed` with this reason (shown to the caller). */
export class ActionFailure extends Error {
  override name = 'ActionFailure'
  /** Stable, machine-readable: `provider_error`, `not_linked`, `invalid_params`, `revoked`, … */
  readonly code: string
  constructor (code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.code = code
  }
}

export interface ActionRecordView {
  id: string
  projectId: string
  /** The provider's key. */
  provider: string
  action: string
  params: Record<string, unknown>
  userId: string
  role: Role
}

export interface ExecutionContext {
  action: ActionRecordView
  /** The link's stored config and decrypted credentials; null when the provider is not linked. */
  link: { config: Record<string, unknown>, credentials: StoredCredentials } | null
  /** Aborted when the action's time is up or the service shuts down; pass it to every call. */
  signal: AbortSignal
  http: ProviderHttp
  now: number
  /** Records progress (published to the project's event stream); e.g. `{ stage: 'deploying' }`. */
  progress (update: Record<string, unknown>): Promise<void>
  /** Re-checks the project's integration at the provider now, bypassing the cache, and publishes it. */
  refreshStatus (): Promise<void>
  /** Removes the link and its stored credentials. */
  unlink (): Promise<void>
  /** Creates or replaces the link with verified config and credentials (connect, link). */
  storeLink (config: Record<string, unknown>, credentials: { token: string }): Promise<void>
}

export interface ActionExecutor {
  /** The action id, as in the adapter's catalog (`deploy`, `sync`, …). */
  id: string
  /**
   * `inline`: run by this service's workers. `host`: the work belongs to the host workspace
   * (e.g. pushing workspace content to a git host); the action waits in the host queue for its worker.
   */
  mode: 'inline' | 'host'
  /** Whether running it twice is harmless, so a run cut short by a crash may simply run again. */
  retryable: boolean
  /** Whether the action needs a working link (most do; connect does not). */
  needsLink: boolean
  /**
   * Checks params before the action is accepted. Returns an error message (→ 400), or
   * `{ forbidden: reason }` when the caller's role may not do this variant (→ 403).
   */
  check? (params: Record<string, unknown>, role: Role): string | { forbidden: string } | undefined
  /** Does the work; resolves the result to store, throws ActionFailure (or anything: `provider_error`). */
  run? (context: ExecutionContext): Promise<Record<string, unknown>>
}
