import { createHmac, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import cookie from '@fastify/cookie'
import { createVerifier } from 'fast-jwt'
import { Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../src/errors.js'
import { Role } from '../src/schemas/common.js'
import type { TokenClaims } from '../src/lib/tokens.js'

export const SESSION_COOKIE = 'is_session'
export const CSRF_COOKIE = 'is_csrf'
export const CSRF_HEADER = 'x-csrf-token'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

// sub and team reach PostgreSQL (action owners, override authors, team lookups), whose text
// cannot hold U+0000: such a token is invalid here (401), not a 500 later.
const NO_NUL = '^[^\\u0000]*$'
const ClaimsSchema = Type.Object({
  sub: Type.String({ minLength: 1, maxLength: 256, pattern: NO_NUL }),
  roles: Type.Record(Type.String({ maxLength: 128 }), Role),
  team: Type.Optional(Type.String({ maxLength: 256, pattern: NO_NUL })),
  exp: Type.Number()
})
// Compiled once: every authenticated request checks its claims.
const claimsCheck = TypeCompiler.Compile(ClaimsSchema)

export interface AuthUser extends TokenClaims {
  /** How the caller proved who it is; cookie callers are subject to CSRF checks. */
  via: 'bearer' | 'cookie'
  expiresAt: Date
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

/** The session verifier and the CSRF token derivation, made from the JWT secret. */
export function createAuth (secret: string) {
  // Only HS256 with our key: alg "none" and every other algorithm fail verification.
  const verify = createVerifier({ key: secret, algorithms: ['HS256'], requiredClaims: ['sub', 'exp'], cache: 1000 })
  const csrfKey = createHmac('sha256', secret).update('csrf').digest()

  return {
    /** The token's claims, or null for any invalid, expired or malformed token. */
    verify (token: string): Omit<AuthUser, 'via'> | null {
      let payload: unknown
      try {
        payload = verify(token)
      } catch {
        return null
      }
      if (!claimsCheck.Check(payload)) return null
      const { sub, roles, team, exp } = payload
      return { sub, roles, ...(team === undefined ? {} : { team }), expiresAt: new Date(exp * 1000) }
    },
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
  const auth = createAuth(fastify.config.jwtSecret)
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

  async function authenticate (request: FastifyRequest, _reply: FastifyReply) {
    const header = request.headers.authorization
    if (header !== undefined) {
      const match = /^Bearer ([\w.~+/-]+=*)$/i.exec(header)
      const claims = match?.[1] ? auth.verify(match[1]) : null
      if (!claims) throw new AppError('UNAUTHENTICATED', 'The bearer token is invalid or expired')
      request.user = { ...claims, via: 'bearer' }
      return
    }
    const session = request.cookies[SESSION_COOKIE]
    const claims = session ? auth.verify(session) : null
    if (!session || !claims) throw new AppError('UNAUTHENTICATED')
    checkCsrf(request, session)
    request.user = { ...claims, via: 'cookie' }
  }

  async function authorizeProject (request: FastifyRequest) {
    const allowed = request.routeOptions.config.auth?.roles
    if (allowed === undefined) return
    const fromBody = (request.body as { projectId?: unknown } | null | undefined)?.projectId
    const projectId = (request.params as { projectId?: string } | undefined)?.projectId ??
      (request.query as { projectId?: string } | undefined)?.projectId ??
      (typeof fromBody === 'string' ? fromBody : undefined)
    // Decided from the token alone, so the answer is the same whether the project exists or not.
    // hasOwn: a project id such as "constructor" must not find Object.prototype's members.
    const roles = request.user?.roles
    const role = projectId !== undefined && roles && Object.hasOwn(roles, projectId) ? roles[projectId] : undefined
    if (!role || (allowed !== 'any' && !allowed.includes(role))) {
      throw new AppError('FORBIDDEN', role ? `Your role (${role}) cannot do this on the project` : undefined)
    }
  }

  fastify.addHook('onRoute', (route) => {
    if (!route.config?.auth) return
    // onRequest runs before the body is read. The project check runs before validation too, so a
    // caller without access learns nothing about the schema from 400s; it reads only the id.
    route.onRequest = [...toArray(route.onRequest), authenticate]
    route.preValidation = [authorizeProject, ...toArray(route.preValidation)]
  })
}, { name: 'auth', dependencies: ['config', 'errors'], fastify: '5.x' })

function toArray<T> (value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value]
}
