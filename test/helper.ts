import { randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import pg from 'pg'
import { Redis } from 'ioredis'
import { PGlite } from '@electric-sql/pglite'
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/build-app.js'
import { loadConfig } from '../plugins/config.js'
import { createSigner } from 'fast-jwt'
import { signToken, type TokenClaims } from '../src/lib/tokens.js'
import { startJwksServer, TEST_AUDIENCE, TEST_ISSUER, type JwksServer } from './support/jwks-server.js'
import { createContractChecker } from './contract/contract-checker.js'
import { TEST_DATABASE_URL, deleteKeys, dropSchema } from './support/cleanup.js'

export { TEST_DATABASE_URL, deleteKeys }
export { realOnly } from './support/cleanup.js'

/**
 * The one way tests get an app: the real app, over the embedded backends or over real
 * PostgreSQL and Redis, each test in its own schema and key prefix, always torn down.
 */

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789'
export const TEST_CREDENTIALS_KEY = Buffer.alloc(32, 7).toString('base64')
export const TEST_ORIGIN = 'https://app.example.test'
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

export type BackendName = 'embedded' | 'real'
export const BACKENDS: BackendName[] = ['embedded', 'real']
/** Who signs the test's tokens: this service's HS256 secret, or an identity provider's RS256 key (JWKS on loopback). */
export type TokenKind = 'hs256' | 'jwks'
export const TOKEN_KINDS: TokenKind[] = ['hs256', 'jwks']

let realReachable: Promise<string | null> | undefined
/** null when PostgreSQL and Redis both answer, else why not. Asked once per process. */
export function realBackendsProblem () {
  realReachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 })
    try {
      await client.connect()
      await client.query('select 1')
    } catch (error) {
      return `PostgreSQL at ${TEST_DATABASE_URL} unreachable: ${(error as Error).message}`
    } finally {
      await client.end().catch(() => {})
    }
    const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null })
    redis.on('error', () => {})
    try {
      await redis.connect()
      await redis.ping()
    } catch (error) {
      return `Redis at ${TEST_REDIS_URL} unreachable: ${(error as Error).message}`
    } finally {
      redis.disconnect()
    }
    return null
  })()
  return realReachable
}

/**
 * Runs `fn` once per backend as a subtest. Outside CI an unreachable PostgreSQL/Redis skips the
 * real half loudly; with CI=true it fails, so CI can never pass by testing less.
 */
export function eachBackend (t: Test, name: string, fn: (t: Test, backend: BackendName) => Promise<void>) {
  for (const backend of BACKENDS) {
    const problem = backend === 'real' ? REAL_BACKENDS_PROBLEM : null
    if (problem && process.env.CI !== 'true') {
      t.comment(`!!! SKIPPING "${name} [real]": ${problem}`)
      t.test(`${name} [${backend}]`, { skip: `real backends unreachable: ${problem}` }, async () => {})
      continue
    }
    t.test(`${name} [${backend}]`, async (t) => {
      if (problem) {
        t.fail(`real backends are required when CI=true: ${problem}`)
        return
      }
      await fn(t, backend)
    })
  }
}

/** eachBackend over both token kinds: `fn` gets the kind to pass to build(). */
export function eachBackendAndTokenKind (t: Test, name: string, fn: (t: Test, backend: BackendName, tokenKind: TokenKind) => Promise<void>) {
  for (const tokenKind of TOKEN_KINDS) eachBackend(t, `${name} (${tokenKind} tokens)`, (t, backend) => fn(t, backend, tokenKind))
}

/** Asked once, when the helper is first imported. */
export const REAL_BACKENDS_PROBLEM = await realBackendsProblem()

let template: Promise<File | Blob> | undefined
/** A fresh embedded database in about half a second: cloned from one made per process. */
export async function freshPglite () {
  template ??= (async () => {
    const seed = await PGlite.create('memory://')
    const dump = await seed.dumpDataDir('none')
    await seed.close()
    return dump
  })()
  return PGlite.create({ loadDataDir: await template })
}

export interface BuildOptions {
  backend?: BackendName
  env?: Record<string, string | undefined>
  /** Validate every response against openapi.yaml (default true). */
  contract?: boolean
  /** Start listening on a loopback port (for real HTTP clients). */
  listen?: boolean
  /** The app's clock (epoch ms), for fixed-time tests. */
  now?: () => number
  /** 'jwks': an identity provider on loopback is configured too, and `token()`/`as()` sign with its key. */
  tokenKind?: TokenKind
  /** Runs on the app before it is ready (extra hooks a test needs). */
  beforeReady?: (app: FastifyInstance) => void
}

export interface TestApp {
  app: FastifyInstance
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[]
  /** Base URL when listening. */
  url: string
  /** Signs a token with the app's secret. */
  token(claims: Partial<TokenClaims> & { roles?: TokenClaims['roles'] }, options?: { expiresInSeconds?: number }): string
  /** Authorization header for a user with one role on one project. */
  as(role: TokenClaims['roles'][string], projectId: string, sub?: string): { authorization: string }
  schema?: string
  redisPrefix?: string
  /** The identity provider, with tokenKind 'jwks'. */
  jwks?: JwksServer
}

export function testEnv (backend: BackendName, extra: Record<string, string | undefined> = {}) {
  const id = randomUUID().replaceAll('-', '').slice(0, 12)
  const base: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    DATA_DIR: 'memory://',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    CREDENTIALS_KEY: TEST_CREDENTIALS_KEY,
    ALLOWED_ORIGINS: TEST_ORIGIN,
    // Running actions get this long at close before they are handed back (production: 25 s).
    SHUTDOWN_TIMEOUT_MS: '500',
    PORT: '0'
  }
  if (backend === 'real') {
    Object.assign(base, {
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: `t_${id}`,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: `test:${id}:`
    })
  }
  return { ...base, ...extra }
}

export async function build (t: Test, options: BuildOptions = {}): Promise<TestApp> {
  const backend = options.backend ?? 'embedded'
  const jwks = options.tokenKind === 'jwks' ? await startJwksServer(t) : undefined
  const env = testEnv(backend, { ...jwks?.env(), ...options.env })
  const config = loadConfig(env as NodeJS.ProcessEnv)
  const logs: string[] = []
  const logStream = new Writable({
    write (chunk, _encoding, callback) {
      logs.push(...String(chunk).split('\n').filter(Boolean))
      callback()
    }
  })
  const pglite = config.databaseUrl ? undefined : await freshPglite()
  const app = buildApp({ config, logStream, ...(pglite ? { pglite } : {}), ...(options.now ? { now: options.now } : {}) })
  const checker = options.contract === false ? undefined : await createContractChecker()
  if (checker) {
    app.addHook('onRequest', checker.onRequest)
    app.addHook('onSend', checker.onSend)
  }

  t.teardown(async () => {
    await app.close()
    // Only what the helper itself provisioned: a test may point REDIS_URL at a dead port on purpose,
    // and a second instance sharing the first one's schema and prefix leaves them to the first
    // (tap tears down last-built first, so the owner drops them once every sharer has closed).
    if (backend === 'real') {
      if (options.env?.DATABASE_SCHEMA === undefined) await dropSchema(config.databaseUrl!, config.databaseSchema)
      if (options.env?.REDIS_PREFIX === undefined) await deleteKeys(config.redisUrl!, config.redisPrefix)
    }
  })
  options.beforeReady?.(app)
  await app.ready()
  let url = ''
  if (options.listen) {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    if (address && typeof address === 'object') url = `http://127.0.0.1:${address.port}`
  }
  if (checker) {
    t.teardown(() => {
      if (checker.violations.length > 0) throw new Error(`responses broke openapi.yaml:\n${checker.violations.join('\n')}`)
    })
  }
  const token: TestApp['token'] = jwks
    ? idpSigner(jwks)
    : (claims, opts) => signToken(config.jwtSecret, { sub: 'u_test', roles: {}, ...claims }, opts)
  return {
    app,
    logs,
    url,
    token,
    as: (role, projectId, sub = `u_${role}`) => ({ authorization: `Bearer ${token({ sub, roles: { [projectId]: role } })}` }),
    ...(config.databaseUrl ? { schema: config.databaseSchema } : {}),
    ...(config.redisUrl ? { redisPrefix: config.redisPrefix } : {}),
    ...(jwks ? { jwks } : {})
  }
}

/** Signs like the identity provider: its first key, its issuer, the service as audience (synchronous, with fast-jwt). */
function idpSigner (jwks: JwksServer): TestApp['token'] {
  const key = jwks.keys[0]!
  const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  return (claims, { expiresInSeconds = 12 * 3600 } = {}) =>
    createSigner({ key: pem, algorithm: key.alg as 'RS256', kid: key.kid, iss: TEST_ISSUER, aud: TEST_AUDIENCE, expiresIn: expiresInSeconds * 1000 })({ sub: 'u_test', roles: {}, ...claims })
}
