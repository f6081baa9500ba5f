import fp from 'fastify-plugin'
import { Value } from '@sinclair/typebox/value'
import { EnvSchema, type Env } from '../src/config/env-schema.js'
import { resolveSecrets } from '../src/config/secrets.js'
import { ConfigError } from '../src/config/config-error.js'
import { ProjectId } from '../src/schemas/common.js'

export { ConfigError }

const PROJECT_ID = new RegExp(ProjectId.pattern!)

/**
 * Reads and validates the environment. Throws ConfigError naming the first bad variable,
 * so a misconfigured instance refuses to boot instead of failing at its first request.
 */
export function loadConfig (environment: NodeJS.ProcessEnv = process.env) {
  const raw: Record<string, unknown> = {}
  for (const name of Object.keys(EnvSchema.properties)) {
    const value = environment[name]
    // An empty variable means "unset", as in most twelve-factor tools.
    if (value !== undefined && value !== '') raw[name] = value
  }
  const converted = Value.Convert(EnvSchema, Value.Default(EnvSchema, raw))
  const error = Value.Errors(EnvSchema, converted).First()
  if (error) {
    const name = error.path.split('/')[1] ?? '(environment)'
    throw new ConfigError(`${name}: ${error.message}${name in raw ? '' : ' (unset)'}`)
  }
  const env = converted as Env
  checkUrl('DATABASE_URL', env.DATABASE_URL)
  checkUrl('REDIS_URL', env.REDIS_URL)
  checkUrl('PUBLIC_URL', env.PUBLIC_URL)
  const allowedOrigins = env.ALLOWED_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean).map(parseOrigin)
  const production = env.NODE_ENV === 'production'
  const secrets = resolveSecrets(env, production)
  const idp = identityProvider(env)
  if (!env.AUTH_HS256 && !idp) throw new ConfigError('AUTH_HS256: false needs AUTH_JWKS_URL, or no token could be accepted')

  return {
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    nodeEnv: env.NODE_ENV,
    production,
    databaseUrl: env.DATABASE_URL,
    databaseSchema: env.DATABASE_SCHEMA,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    dataDir: env.DATA_DIR,
    migrateOnBoot: env.MIGRATE_ON_BOOT,
    redisUrl: env.REDIS_URL,
    redisPrefix: env.REDIS_PREFIX,
    jwtSecret: secrets.jwtSecret,
    auth: {
      hs256: env.AUTH_HS256,
      clockToleranceSeconds: env.AUTH_CLOCK_TOLERANCE_SECONDS,
      tokenCacheSize: env.AUTH_TOKEN_CACHE_SIZE,
      /** Tokens from the identity provider; undefined = HS256 only. */
      idp
    },
    metrics: {
      port: env.METRICS_PORT,
      host: env.METRICS_HOST,
      token: env.METRICS_TOKEN
    },
    shutdown: {
      graceMs: env.SHUTDOWN_GRACE_MS ?? (production ? 5_000 : 0),
      timeoutMs: env.SHUTDOWN_TIMEOUT_MS
    },
    credentialsKey: secrets.credentialsKey,
    /** Things an operator should know about, logged once at boot (never secret values). */
    warnings: secrets.warnings,
    allowedOrigins,
    trustProxy: env.TRUST_PROXY,
    bodyLimit: env.BODY_LIMIT,
    hostWorkerToken: env.HOST_WORKER_TOKEN,
    devLogin: env.DEV_LOGIN && !production,
    actionLeaseMs: env.ACTION_LEASE_MS,
    idempotencyLeaseMs: env.IDEMPOTENCY_LEASE_MS,
    publicUrl: trimSlash(env.PUBLIC_URL),
    /**
     * The environment as given (empty variables dropped): each provider's manifest reads its own
     * variables from it when it registers (src/aggregator/providers.ts).
     */
    environment: nonEmpty(environment),
    status: {
      ttlMs: env.STATUS_TTL_MS,
      deadlineMs: env.STATUS_DEADLINE_MS,
      maxSnapshots: env.STATUS_SNAPSHOT_MAX_ENTRIES,
      maxProjects: env.STATUS_CACHE_MAX_PROJECTS,
      providerTimeoutMs: env.PROVIDER_TIMEOUT_MS,
      maxBodyBytes: env.PROVIDER_MAX_BODY_BYTES,
      breakerFailures: env.BREAKER_FAILURES,
      breakerHalfOpenMs: env.BREAKER_HALF_OPEN_MS
    },
    events: {
      heartbeatMs: env.SSE_HEARTBEAT_MS,
      retryMs: env.SSE_RETRY_MS,
      replayMax: env.SSE_REPLAY_MAX,
      maxBufferBytes: env.SSE_MAX_BUFFER_BYTES,
      retentionMs: env.EVENTS_RETENTION_HOURS * 3_600_000,
      refreshTickMs: env.EVENTS_REFRESH_TICK_MS,
      pollMs: env.EVENTS_POLL_MS,
      statusMinIntervalMs: env.STATUS_EVENT_MIN_INTERVAL_MS
    },
    rollout: {
      defaultEnabled: env.ROLLOUT_DEFAULT,
      teams: idList(env.ROLLOUT_TEAMS),
      projects: projectIdList(env.ROLLOUT_PROJECTS),
      percent: env.ROLLOUT_PERCENT
    }
  }
}

export type AppConfig = ReturnType<typeof loadConfig>

const IDP_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const
type IdpAlgorithm = typeof IDP_ALGORITHMS[number]

/**
 * The identity provider's settings. Issuer and audience are required: without them any token the
 * provider signs (for another application or tenant) would be accepted here.
 */
function identityProvider (env: Env) {
  if (env.AUTH_JWKS_URL === undefined) return undefined
  checkUrl('AUTH_JWKS_URL', env.AUTH_JWKS_URL)
  if (env.AUTH_ISSUER === undefined) throw new ConfigError('AUTH_ISSUER: required with AUTH_JWKS_URL')
  const audience = idList(env.AUTH_AUDIENCE ?? '')
  if (audience.length === 0) throw new ConfigError('AUTH_AUDIENCE: required with AUTH_JWKS_URL')
  const algorithms = idList(env.AUTH_ALGORITHMS)
  const unsupported = algorithms.find((alg) => !(IDP_ALGORITHMS as readonly string[]).includes(alg))
  // Symmetric algorithms and "none" are never taken from a key set: only the three asymmetric ones.
  if (unsupported !== undefined) throw new ConfigError(`AUTH_ALGORITHMS: "${unsupported}" is not one of ${IDP_ALGORITHMS.join(', ')}`)
  if (algorithms.length === 0) throw new ConfigError('AUTH_ALGORITHMS: name at least one algorithm')
  if (env.AUTH_JWKS_MIN_TTL_MS > env.AUTH_JWKS_MAX_TTL_MS) throw new ConfigError('AUTH_JWKS_MIN_TTL_MS: greater than AUTH_JWKS_MAX_TTL_MS')
  return {
    jwksUrl: env.AUTH_JWKS_URL,
    algorithms: algorithms as IdpAlgorithm[],
    issuer: env.AUTH_ISSUER,
    audience,
    rolesClaim: env.AUTH_ROLES_CLAIM,
    teamClaim: env.AUTH_TEAM_CLAIM,
    minTtlMs: env.AUTH_JWKS_MIN_TTL_MS,
    maxTtlMs: env.AUTH_JWKS_MAX_TTL_MS,
    refetchMs: env.AUTH_JWKS_REFETCH_MS,
    timeoutMs: env.AUTH_JWKS_TIMEOUT_MS
  }
}

function nonEmpty (environment: NodeJS.ProcessEnv): Readonly<Record<string, string>> {
  return Object.freeze(Object.fromEntries(Object.entries(environment).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')))
}

function checkUrl (name: string, value: string | undefined) {
  if (value === undefined) return
  try {
    // eslint-disable-next-line no-new
    new URL(value)
  } catch {
    // The value itself may hold a password, so it is not echoed.
    throw new ConfigError(`${name}: not a valid URL`)
  }
}

function parseOrigin (value: string) {
  try {
    const url = new URL(value)
    if (url.origin !== 'null' && (url.protocol === 'http:' || url.protocol === 'https:')) return url.origin
  } catch {}
  throw new ConfigError(`ALLOWED_ORIGINS: "${value}" is not an http(s) origin`)
}

/** A comma-separated list, trimmed, without empties or repeats. */
function idList (value: string) {
  return [...new Set(value.split(',').map((s) => s.trim()).filter(Boolean))]
}

/** ROLLOUT_PROJECTS: an id the API would refuse could never match, so it stops boot instead. */
function projectIdList (value: string) {
  const ids = idList(value)
  const bad = ids.find((id) => !PROJECT_ID.test(id))
  if (bad !== undefined) throw new ConfigError(`ROLLOUT_PROJECTS: "${bad}" is not a valid project id`)
  return ids
}

function trimSlash (url: string) {
  return url.replace(/\/+$/, '')
}

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig
  }
}

export default fp<{ config: AppConfig }>(async function configPlugin (fastify, { config }) {
  fastify.decorate('config', config)
  for (const warning of config.warnings) fastify.log.warn(warning)
}, { name: 'config', fastify: '5.x' })
