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
    credentialsKey: secrets.credentialsKey,
    /** Things an operator should know about, logged once at boot (never secret values). */
    warnings: secrets.warnings,
    allowedOrigins,
    trustProxy: env.TRUST_PROXY,
    bodyLimit: env.BODY_LIMIT,
    hostWorkerToken: env.HOST_WORKER_TOKEN,
    devLogin: env.DEV_LOGIN && !production,
    actionLeaseMs: env.ACTION_LEASE_MS,
    publicUrl: trimSlash(env.PUBLIC_URL),
    /**
     * The environment as given (empty variables dropped): each provider's manifest reads its own
     * variables from it when it registers (src/aggregator/providers.ts).
     */
    environment: nonEmpty(environment),
    status: {
      ttlMs: env.STATUS_TTL_MS,
      deadlineMs: env.STATUS_DEADLINE_MS,
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
