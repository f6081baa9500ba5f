import { Type, type Static } from '@sinclair/typebox'

// Environment variables as strings, each documented once here; README's configuration table follows it.
// Each provider's own variables are in its manifest's `env` schema (adapters/<provider>/).
const url = (pattern: string, description: string, defaultValue?: string) =>
  Type.String({ pattern, description, ...(defaultValue === undefined ? {} : { default: defaultValue }) })

const HTTP_URL = '^https?://[^\\s]+$'

export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'TCP port to listen on' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface to bind' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  NODE_ENV: Type.String({ default: 'development' }),
  DATABASE_URL: Type.Optional(url('^postgres(ql)?://[^\\s]+$', 'PostgreSQL URL; unset = embedded PGlite under DATA_DIR')),
  DATABASE_SCHEMA: Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$', default: 'public', description: 'Schema holding the tables' }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  DATA_DIR: Type.String({ minLength: 1, default: './.data', description: 'Embedded database and development secrets; memory:// keeps nothing' }),
  MIGRATE_ON_BOOT: Type.Boolean({ default: true }),
  REDIS_URL: Type.Optional(url('^rediss?://[^\\s]+$', 'Redis URL; unset = in-process memory backends (one instance only)')),
  REDIS_PREFIX: Type.String({ minLength: 1, maxLength: 64, default: 'integration-status:' }),
  AUTH_JWT_SECRET: Type.Optional(Type.String({ minLength: 32, description: 'HS256 secret, at least 32 characters' })),
  AUTH_HS256: Type.Boolean({ default: true, description: 'Accept HS256 tokens signed with AUTH_JWT_SECRET (the secret still signs OAuth states and CSRF tokens when off)' }),
  AUTH_JWKS_URL: Type.Optional(url(HTTP_URL, 'JWKS of the identity provider; set = RS256/ES256/EdDSA tokens it signs are accepted')),
  AUTH_ALGORITHMS: Type.String({ default: 'RS256,ES256,EdDSA', description: 'Comma-separated signature algorithms accepted from the identity provider (RS256, ES256, EdDSA)' }),
  AUTH_ISSUER: Type.Optional(Type.String({ minLength: 1, description: 'Required `iss` of identity-provider tokens (required with AUTH_JWKS_URL)' })),
  AUTH_AUDIENCE: Type.Optional(Type.String({ minLength: 1, description: 'Comma-separated accepted `aud` values of identity-provider tokens (required with AUTH_JWKS_URL)' })),
  AUTH_CLOCK_TOLERANCE_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 30, description: 'Clock skew allowed on exp and nbf' }),
  AUTH_ROLES_CLAIM: Type.String({ minLength: 1, maxLength: 256, default: 'roles', description: 'Where identity-provider tokens carry the {projectId: role} map: a claim name or a dot path' }),
  AUTH_TEAM_CLAIM: Type.String({ minLength: 1, maxLength: 256, default: 'team', description: 'Where identity-provider tokens carry the team id: a claim name or a dot path' }),
  AUTH_JWKS_MIN_TTL_MS: Type.Integer({ minimum: 10, maximum: 86_400_000, default: 60_000, description: 'Floor on how long a fetched JWKS is kept, whatever its Cache-Control says' }),
  AUTH_JWKS_MAX_TTL_MS: Type.Integer({ minimum: 10, maximum: 86_400_000, default: 3_600_000, description: 'Ceiling on how long a fetched JWKS is kept; a removed key stops working after at most this' }),
  AUTH_JWKS_REFETCH_MS: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 30_000, description: 'Least time between two JWKS fetches caused by an unknown kid or a failed fetch' }),
  AUTH_JWKS_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 5_000, description: 'Timeout of one JWKS fetch' }),
  AUTH_TOKEN_CACHE_SIZE: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 10_000, description: 'Verified tokens remembered per instance by their exact value, least recently used dropped first (about 1 KB each); 0 = verify every request' }),
  CREDENTIALS_KEY: Type.Optional(Type.String({ description: '32-byte key, base64 or 64 hex digits' })),
  ALLOWED_ORIGINS: Type.String({ default: '', description: 'Comma-separated browser origins allowed for cookie-authenticated calls' }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  BODY_LIMIT: Type.Integer({ minimum: 1024, maximum: 10 * 1024 * 1024, default: 100 * 1024 }),
  STATUS_TTL_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 15_000, description: 'How long a provider result stays fresh; each entry gets ±33% jitter (15 s → 10–20 s)' }),
  STATUS_DEADLINE_MS: Type.Integer({ minimum: 50, maximum: 30_000, default: 400, description: 'The longest a status response waits for providers; slower checks finish in the background' }),
  STATUS_SNAPSHOT_MAX_ENTRIES: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 10_000, description: 'Ready status answers kept per instance, one per (project, role); least recently used dropped first' }),
  STATUS_CACHE_MAX_PROJECTS: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 10_000, description: 'Projects whose links and status entries an instance keeps short copies of; oldest dropped first' }),
  PROVIDER_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 3_000, description: 'Timeout of one provider check (all its calls, retries included)' }),
  PROVIDER_MAX_BODY_BYTES: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024, description: 'Provider responses larger than this fail the check' }),
  BREAKER_FAILURES: Type.Integer({ minimum: 1, maximum: 100, default: 5, description: 'Consecutive failed checks that open a circuit' }),
  PUBLIC_URL: url(HTTP_URL, 'Where browsers reach this service; OAuth redirect URIs are built on it', 'http://localhost:3000'),
  HOST_WORKER_TOKEN: Type.Optional(Type.String({ minLength: 32, description: 'Bearer secret of the host workspace\'s action worker; unset = the host queue endpoints refuse everyone' })),
  BREAKER_HALF_OPEN_MS: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 30_000, description: 'How long an open circuit waits before one trial check' }),
  ACTION_LEASE_MS: Type.Integer({ minimum: 500, maximum: 600_000, default: 30_000, description: 'How long an instance holds a running inline action without renewing; a dead instance\'s action is taken over after it' }),
  IDEMPOTENCY_LEASE_MS: Type.Integer({ minimum: 1_000, maximum: 600_000, default: 10_000, description: 'How long a request holds its Idempotency-Key before its action is stored; a retry after it, finding no action (the request died), takes the key over' }),
  DEV_LOGIN: Type.Boolean({ default: false, description: 'Enables GET /api/dev/login (signs the browser in as anyone; for `npm run demo`); always refused when NODE_ENV=production' }),
  SSE_HEARTBEAT_MS: Type.Integer({ minimum: 10, maximum: 300_000, default: 15_000, description: 'Interval of the `:hb` comment on every open event stream' }),
  SSE_RETRY_MS: Type.Integer({ minimum: 10, maximum: 300_000, default: 3_000, description: 'The `retry:` hint sent to event-stream clients' }),
  SSE_REPLAY_MAX: Type.Integer({ minimum: 1, maximum: 100_000, default: 1_000, description: 'Most events replayed on resume; a client further behind gets `reset`' }),
  SSE_MAX_BUFFER_BYTES: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 256 * 1024, description: 'Unsent bytes a slow event-stream client may hold before it is disconnected' }),
  EVENTS_RETENTION_HOURS: Type.Integer({ minimum: 1, maximum: 24 * 30, default: 24, description: 'How long events are kept for resume; older ones are pruned' }),
  EVENTS_REFRESH_TICK_MS: Type.Integer({ minimum: 20, maximum: 300_000, default: 5_000, description: 'How often the instance leading a watched project looks for stale integrations and status changes' }),
  EVENTS_POLL_MS: Type.Integer({ minimum: 20, maximum: 300_000, default: 5_000, description: 'How often an instance with open streams reads the event log, in case a pub/sub announcement was lost' }),
  STATUS_EVENT_MIN_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: 300_000, default: 1_000, description: 'Flap damping: at most one status event per project per this interval; changes within it coalesce into the latest' }),
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'Serve /metrics on this second port (bound to METRICS_HOST) instead of the public one' })),
  METRICS_HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface of the METRICS_PORT listener' }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, description: 'Bearer token /metrics requires when set' })),
  SHUTDOWN_GRACE_MS: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000, description: 'After SIGTERM, how long the instance keeps serving while reporting not-ready, before it stops taking requests and streams; default 5000 with NODE_ENV=production, else 0' })),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 25_000, description: 'After the grace, how long open requests and running actions get before the process exits anyway (running actions are handed back through their leases)' }),
  ROLLOUT_DEFAULT: Type.Boolean({ default: true, description: 'Rollout flag where no other rule decides (a project with no known team)' }),
  ROLLOUT_TEAMS: Type.String({ default: '', description: 'Comma-separated team ids that always have the rollout enabled' }),
  ROLLOUT_PROJECTS: Type.String({ default: '', description: 'Comma-separated project ids that always have the rollout enabled' }),
  ROLLOUT_PERCENT: Type.Integer({ minimum: 0, maximum: 100, default: 100, description: 'Share of teams enabled, by a stable hash of the team id (sha256, first 4 bytes, mod 100 < percent)' })
})

export type Env = Static<typeof EnvSchema>
