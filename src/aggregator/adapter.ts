import type { ProviderKey } from '../domain/providers.js'
import type { StoredCredentials } from '../repositories/integration-links.js'
import type { Role } from '../schemas/common.js'
import type { ProblemCode } from '../schemas/integration-status.js'
import type { ReadOnlyProviderHttp } from './provider-http.js'
import type { ActionExecutor } from '../actions/executor.js'

/**
 * What an adapter is: the contract between the aggregator (src/aggregator) and the provider
 * plugins (adapters/). An adapter knows one provider's API and nothing about caching, breakers,
 * roles or envelopes; the aggregator knows those and nothing about any provider.
 */

export type { ProblemCode }
export type CheckStatus = 'connected' | 'warning' | 'error'

/**
 * A provider call that did not produce a status. Adapters throw it; the aggregator turns it into
 * the item's `problem` (and stale fallback). `message` goes to logs only, never to a response.
 */
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

export interface CheckEnvironment {
  name: string
  status: CheckStatus | 'disconnected'
  summary?: string
  /** Dropped for callers who may not see details. */
  url?: string
  lastDeployAt?: string
}

/** What a successful check found. Cached as is; redacted per caller when served. */
export interface CheckResult {
  status: CheckStatus
  summary: string
  environments?: CheckEnvironment[]
  /** A finding that is not a failed call, e.g. missing scopes: `{ code: 'missing_scopes', hint }`. The aggregator adds the title. */
  problem?: { code: ProblemCode, hint?: string }
  /**
   * Viewer-safe replacements for fields that name private things (repository, branch, account,
   * project ref, URLs). Absent = the field reveals nothing and is shown as is.
   */
  viewer?: { summary?: string, hint?: string }
  /** Offer the reconnect action (e.g. missing scopes). */
  suggestReconnect?: boolean
}

export interface CheckContext<Config> {
  projectId: string
  /** The link's config as stored (secrets such as Supabase's databaseUrl are masked here). */
  config: Config
  /** Decrypted for this call only: never log, cache or return them. */
  credentials: StoredCredentials
  /** Aborted when the check's timeout fires; pass it to every call. */
  signal: AbortSignal
  /** The clock at the start of the check, epoch ms (tests fix it). */
  now: number
  http: ReadOnlyProviderHttp
}

/**
 * Who may do what, from the plan's permission matrix: owner/admin connect, disconnect, deploy,
 * push, configure; editor push, content sync and preview deploy; viewer nothing.
 */
export type Capability = 'connect' | 'configure' | 'deploy' | 'push' | 'content_sync'

export const CAPABILITY_ROLES: Record<Capability, readonly Role[]> = {
  connect: ['owner', 'admin'],
  configure: ['owner', 'admin'],
  // Editors deploy to preview only; the action endpoint enforces the target.
  deploy: ['owner', 'admin', 'editor'],
  push: ['owner', 'admin', 'editor'],
  content_sync: ['owner', 'admin', 'editor']
}

export interface ActionDefinition {
  id: string
  label: string
  capability: Capability
}

export interface AdapterDefinition<Config = Record<string, unknown>> {
  key: ProviderKey
  /** Human name used in hints and logs: 'GitHub'. */
  label: string
  /** Calls the provider. Throws ProviderFailure for anything that is not a status. */
  check (context: CheckContext<Config>): Promise<CheckResult>
  /** Actions offered while the link works, in display order. */
  actions: readonly ActionDefinition[]
  /** How each action in `actions` is carried out (src/actions/executor.ts); absent = not runnable yet. */
  executors?: readonly ActionExecutor[]
  /** Releases what the adapter holds (e.g. database pools); called when the app closes. */
  close? (): Promise<void>
}
