import type { IncomingHttpHeaders } from 'node:http'
import type { Static, TObject } from '@sinclair/typebox'
import type { Role } from '../schemas/common.js'
import type { ProviderHttp, ReadOnlyProviderHttp } from './http.js'
import type { ActionExecutor } from './executor.js'
import type { StoredCredentials } from './credentials.js'
import type { ProblemCode } from './failure.js'
import type { WebhookContract } from './webhook-contract.js'

/**
 * What a provider is: one manifest, registered by the provider's plugin (adapters/<key>/) onto
 * the aggregator. Core iterates over the registered manifests for everything provider-specific:
 * routes and schemas (validation and openapi.yaml), configuration, status checks, actions, OAuth
 * and webhooks. A manifest knows one provider's API and nothing about caching, breakers, roles,
 * envelopes or storage; core knows those and nothing about any provider.
 */
export interface ProviderManifest<Config extends TObject = TObject, Env extends TObject = TObject> {
  /** Stable id: URL segment, database value and `key` of every response. `^[a-z][a-z0-9-]{0,31}$`. */
  key: string
  /** Display name, in hints, logs and the browser components: 'Acme Cloud'. */
  label: string
  /** The link's config (TypeBox, with an `$id` such as 'AcmeLinkConfig' and `additionalProperties: false`). */
  config: Config
  /** The credentials a link takes; default `TokenCredentials` (`{ token }`). Shown by GET /api/providers. */
  credentials?: TObject
  /**
   * Config fields that hold secrets (a database URL with a password): stored sealed with the
   * credentials, shown masked, refused through connect (only a direct link may set them) and kept
   * across a reconnect.
   */
  secretConfig?: readonly string[]
  /**
   * The environment variables the provider reads, each with its default and description. Checked
   * at boot (a bad value stops it, naming the variable); `setup` receives the converted values.
   */
  env: Env
  /** Actions offered while the link works, in display order, each with the capability that gates it. */
  actions: readonly ActionDefinition[]
  /** Builds the working part from the validated environment; called once per app. */
  setup (env: Static<Env>): ProviderAdapter<Static<Config>>
}

/** The working part of a provider, built by `setup` from its environment. */
export interface ProviderAdapter<Config = Record<string, unknown>> {
  /** Calls the provider. Throws ProviderFailure for anything that is not a status. */
  check (context: CheckContext<Config>): Promise<CheckResult>
  /**
   * Proves credentials before a token-based connect stores them. Throws ProviderFailure
   * (`oauth_revoked`: refused). Default: `check` with the new credentials.
   */
  verifyCredentials? (context: CheckContext<Config>): Promise<unknown>
  /** How each action in the catalog is carried out; absent = not runnable. */
  executors?: readonly ActionExecutor[]
  /** The provider's OAuth authorization-code flow; absent = connect takes a token in params. */
  oauth?: OAuthSteps<Config>
  /** The provider's signed webhook: POST /api/webhooks/{path}. */
  webhook?: WebhookSteps
  /** Releases what the adapter holds (e.g. database pools); called when the app closes. */
  close? (): Promise<void>
}

export type CheckStatus = 'connected' | 'warning' | 'error'

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
  /** A finding that is not a failed call, e.g. missing scopes: `{ code: 'unknown', hint }`. */
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
  /** The link's config as stored (secret config fields are masked here; read them from credentials). */
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
  // Editors deploy to preview only; the action's executor refuses other targets for them.
  deploy: ['owner', 'admin', 'editor'],
  push: ['owner', 'admin', 'editor'],
  content_sync: ['owner', 'admin', 'editor']
}

export interface ActionDefinition {
  id: string
  label: string
  capability: Capability
}

/** An OAuth app's id and secret, from the provider's environment variables. */
export interface OAuthClient { clientId: string, clientSecret: string }

/**
 * The provider's authorization-code flow. Core owns the signed single-use `state`, the callback
 * route (GET /api/integrations/oauth/{key}/callback), storing the token and re-checking.
 */
export interface OAuthSteps<Config = Record<string, unknown>> {
  /** undefined = no OAuth app configured: connect/reconnect are not offered. */
  client: OAuthClient | undefined
  /** Scopes the adapter needs; the callback names the ones the user did not grant. */
  requiredScopes?: readonly string[]
  /** The consent screen's URL. */
  authorizeUrl (args: { client: OAuthClient, redirectUri: string, state: string }): string
  /** Trades the code for a token (see `exchangeCode` in ./oauth.ts); throws OAuthFailure when refused. */
  exchange (args: { http: ProviderHttp, client: OAuthClient, code: string, redirectUri: string, signal: AbortSignal }): Promise<{ token: string, scopes?: string[] }>
  /** One live call with the new token before it is stored; the granted scopes when the provider reports them. */
  verify (args: { http: ProviderHttp, token: string, config: Config, signal: AbortSignal }): Promise<{ scopes?: string[] }>
}

/** What a delivery says: its id (a second one with it is ignored), its event, and which links it concerns. */
export interface WebhookDelivery {
  id: string | undefined
  /** Links whose config matches: config field → value, compared case-insensitively. */
  match: Record<string, string> | undefined
  event: string
}

/**
 * The provider's webhook. Core owns the route, the raw body, deduplication by delivery id, and
 * re-checking the matching links (which publishes their status to the event stream).
 */
export interface WebhookSteps {
  /** POST /api/webhooks/{path}; default the provider's key. */
  path?: string
  /** The signing secret from the environment; undefined = every delivery is refused (401). */
  secret: string | undefined
  /** The delivery as the contract documents it (signature header, what is read); optional. */
  contract?: WebhookContract
  /** Checks the signature over the raw body, in constant time (see ./signatures.ts). */
  verify (secret: string, body: Buffer, headers: IncomingHttpHeaders): boolean
  /** Reads the verified delivery (its JSON body, `{}` when empty). */
  read (body: Record<string, unknown>, headers: IncomingHttpHeaders): WebhookDelivery
}

/** Type helper for adapters: infers Config and Env from the schemas. */
export const defineProvider = <Config extends TObject, Env extends TObject>(manifest: ProviderManifest<Config, Env>) => manifest

/** A provider's identity and catalog with its working part: what core holds per registered provider. */
export type AdapterDefinition<Config = any> = ProviderAdapter<Config> & Pick<ProviderManifest, 'key' | 'label' | 'actions'>
