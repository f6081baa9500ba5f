import { createHmac, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import cookie from '@fastify/cookie'
import { Counter, Gauge } from 'prom-client'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { AppError } from '../src/errors.js'
import { ErrorBody, ref, type Role } from '../src/schemas/common.js'
import type { TokenClaims } from '../src/lib/tokens.js'
import { createJwksKeys, type JwksKeys } from '../src/auth/jwks-keys.js'
import { createTokenVerifier, type IdpSettings, type VerifiedToken } from '../src/auth/token-verifier.js'
import { createTokenCache, readonlyDate } from '../src/auth/token-cache.js'
import type { AppConfig } from './config.js'
import { toArray } from '../src/lib/route-hooks.js'

export const SESSION_COOKIE = 'is_session'
export const CSRF_COOKIE = 'is_csrf'
export const CSRF_HEADER = 'x-csrf-token'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * The caller. Frozen (its roles too, and its expiry a read-only Date): one verified token's user
 * is shared by every request that sends the same token.
 */
export interface AuthUser extends Readonly<TokenClaims> {
  readonly roles: Readonly<TokenClaims['roles']>
  /** How the caller proved who it is; cookie callers are subject to CSRF checks. */
  readonly via: 'bearer' | 'cookie'
  readonly expiresAt: Date
}

/**
 * Per-route access, read from the route's `config.auth`. Absent = public route.
 * `roles` names who may call it on the project in `params.projectId`, `query.projectId` or
 * `body.projectId` (the body is parsed before this check runs);
 * 'any' accepts every role; omitted = any authenticated caller, no project check.
 */
export interface RouteAuth {
  roles?: readonly Role[] | 'any'
}

/**
 * Token verification (HS256 with the secret and/or the identity provider's JWKS) and the CSRF
 * token derivation. `jwks` is the provider's key store when one is configured.
 */
export function createAuth (config: Pick<AppConfig, 'jwtSecret' | 'auth'>, hooks: { onJwksFetch?: Parameters<typeof createJwksKeys>[0]['onFetch'] } = {}) {
  const { idp } = config.auth
  const jwks: JwksKeys | undefined = idp
    ? createJwksKeys({ url: idp.jwksUrl, minTtlMs: idp.minTtlMs, maxTtlMs: idp.maxTtlMs, refetchMs: idp.refetchMs, timeoutMs: idp.timeoutMs, ...(hooks.onJwksFetch ? { onFetch: hooks.onJwksFetch } : {}) })
    : undefined
  const idpSettings: IdpSettings | undefined = idp && jwks
    ? { keys: jwks, algorithms: idp.algorithms, issuer: idp.issuer, audience: idp.audience, rolesClaim: idp.rolesClaim, teamClaim: idp.teamClaim }
    : undefined
  const verifier = createTokenVerifier({
    secret: config.jwtSecret,
    hs256: config.auth.hs256,
    clockToleranceSeconds: config.auth.clockToleranceSeconds,
    ...(idpSettings ? { idp: idpSettings } : {})
  })
  const csrfKey = createHmac('sha256', config.jwtSecret).update('csrf').digest()
  const users = createTokenCache<AuthUser>({ maxEntries: config.auth.tokenCacheSize, generation: verifier.generation })

  return {
    /**
     * The user for `credential` (the Authorization header or the session cookie, exactly as sent)
     * if a token with that exact value verified earlier and would still verify; else undefined.
     */
    cachedUser (credential: string, via: AuthUser['via']): AuthUser | undefined {
      const user = users.get(credential)
      return user?.via === via ? user : undefined
    },
    /**
     * Verifies `token` (taken from `credential`) and remembers its user under `credential`.
     * Throws a 401 AppError (503 when the provider's keys cannot be had).
     */
    async verifyUser (credential: string, token: string, via: AuthUser['via']): Promise<AuthUser> {
      const generation = verifier.generation()
      const user = toUser(await verifier.verify(token), via)
      users.set(credential, user, user.expiresAt.getTime(), generation)
      return user
    },
    /** The verified-token cache (its size, for tests and the docs' memory figures). */
    users,
    jwks,
    /** The CSRF token bound to one session cookie value (signed double-submit). */
    csrfTokenFor (session: string) {
      return createHmac('sha256', csrfKey).update(session).digest('base64url')
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    auth: ReturnType<typeof createAuth>
  }
  interface FastifyRequest {
    user: AuthUser | null
  }
  interface FastifyContextConfig {
    auth?: RouteAuth
  }
}

function safeEqual (a: string, b: string) {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

export default fp(async function authPlugin (fastify) {
  const registers = [fastify.metrics.registry]
  const jwksFailures = new Counter({ name: 'jwks_refresh_failures_total', help: 'Failed fetches of the identity provider\'s JWKS (the keys held keep working)', registers })
  const auth = createAuth(fastify.config, {
    onJwksFetch (outcome) {
      if (outcome.ok) return
      jwksFailures.inc()
      fastify.log.warn({ jwksUrl: fastify.config.auth.idp?.jwksUrl, reason: outcome.error }, 'JWKS fetch failed; keeping the keys held')
    }
  })
  const { jwks } = auth
  // eslint-disable-next-line no-new
  new Gauge({ name: 'jwks_keys', help: 'Keys in the identity provider\'s JWKS as last fetched (0 without one)', registers, collect () { this.set(jwks?.status().keys ?? 0) } })
  if (jwks) {
    // The first fetch before the first request; a provider down at boot does not stop boot.
    fastify.addHook('onReady', async () => { await jwks.refresh() })
    fastify.addHook('onClose', async () => { jwks.close() })
  }
  const allowedOrigins = new Set(fastify.config.allowedOrigins)
  fastify.decorate('auth', auth)
  fastify.decorateRequest('user', null)
  await fastify.register(cookie)

  function checkCsrf (request: FastifyRequest, session: string) {
    if (SAFE_METHODS.has(request.method)) return
    const origin = request.headers.origin
    const ownOrigin = `${request.protocol}://${request.host}`
    if (!origin || (!allowedOrigins.has(origin) && origin !== ownOrigin)) {
      throw new AppError('CSRF_FAILED', 'Origin header missing or not allowed for cookie-authenticated requests')
    }
    const header = request.headers[CSRF_HEADER]
    const cookieToken = request.cookies[CSRF_COOKIE]
    const expected = auth.csrfTokenFor(session)
    if (typeof header !== 'string' || !cookieToken || !safeEqual(header, cookieToken) || !safeEqual(header, expected)) {
      throw new AppError('CSRF_FAILED', `Send the ${CSRF_HEADER} header with the value of the ${CSRF_COOKIE} cookie`)
    }
  }

  const BEARER = /^Bearer ([\w.~+/-]+=*)$/i

  // Callback hooks, not async ones: a token seen before is answered without a promise.
  function authenticate (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
    const header = request.headers.authorization
    if (header !== undefined) {
      const cached = auth.cachedUser(header, 'bearer')
      if (cached) {
        request.user = cached
        return done()
      }
      const match = BEARER.exec(header)
      if (!match?.[1]) return done(new AppError('UNAUTHENTICATED', 'The Authorization header is not "Bearer <token>"'))
      auth.verifyUser(header, match[1], 'bearer').then((user) => { request.user = user; done() }, done)
      return
    }
    const session = request.cookies[SESSION_COOKIE]
    if (!session) return done(new AppError('UNAUTHENTICATED'))
    const withUser = (user: AuthUser) => {
      try {
        checkCsrf(request, session)
      } catch (error) {
        return done(error as Error)
      }
      request.user = user
      done()
    }
    const cached = auth.cachedUser(session, 'cookie')
    if (cached) return withUser(cached)
    auth.verifyUser(session, session, 'cookie').then(withUser, done)
  }

  /** The project check for one route, its allowed roles read once when the route is added. */
  function projectCheck (allowed: readonly Role[] | 'any') {
    return function authorizeProject (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
      const fromBody = (request.body as { projectId?: unknown } | null | undefined)?.projectId
      const projectId = (request.params as { projectId?: string } | undefined)?.projectId ??
        (request.query as { projectId?: string } | undefined)?.projectId ??
        (typeof fromBody === 'string' ? fromBody : undefined)
      // Decided from the token alone, so the answer is the same whether the project exists or not.
      // hasOwn: a project id such as "constructor" must not find Object.prototype's members.
      const roles = request.user?.roles
      const role = projectId !== undefined && roles && Object.hasOwn(roles, projectId) ? roles[projectId] : undefined
      if (!role || (allowed !== 'any' && !allowed.includes(role))) {
        return done(new AppError('FORBIDDEN', role ? `Your role (${role}) cannot do this on the project` : undefined))
      }
      done()
    }
  }

  fastify.addHook('onRoute', (route) => {
    if (!route.config?.auth) return
    // Any authenticated route answers 503 while the identity provider's keys cannot be had.
    const responses = route.schema?.response as Record<string, unknown> | undefined
    if (responses && !responses[503]) responses[503] = ref(ErrorBody)
    // onRequest runs before the body is read. The project check runs before validation too, so a
    // caller without access learns nothing about the schema from 400s; it reads only the id.
    route.onRequest = [...toArray(route.onRequest), authenticate]
    // Routes that name no roles get no project check at all (not one that returns at once).
    const allowed = route.config.auth.roles
    if (allowed !== undefined) route.preValidation = [projectCheck(allowed), ...toArray(route.preValidation)]
  })
}, { name: 'auth', dependencies: ['config', 'errors', 'metrics'], fastify: '5.x' })

function toUser ({ sub, roles, team, expiresAt }: VerifiedToken, via: AuthUser['via']): AuthUser {
  return Object.freeze({ sub, roles: Object.freeze({ ...roles }), ...(team === undefined ? {} : { team }), expiresAt: readonlyDate(expiresAt.getTime()), via })
}
