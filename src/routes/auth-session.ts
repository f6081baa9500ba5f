import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError } from '../errors.js'
import { BEARER_OR_COOKIE, errorResponses, ref } from '../schemas/common.js'
import { SetCookie } from '../schemas/http-headers.js'
import { Session } from '../schemas/session.js'
import { CSRF_COOKIE, SESSION_COOKIE, type AuthUser } from '../../plugins/auth.js'

/**
 * Browser sessions. The host app, holding a bearer token, exchanges it for an HttpOnly cookie so
 * that EventSource and fetch from the page can authenticate; writes then need the CSRF token.
 */
const authSessionRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const secure = fastify.config.production
  // The answer, serialized once per verified caller: a user object is shared by every request with
  // the same credential (plugins/auth.ts), and all the answer says follows from the two.
  const sessionBodies = new WeakMap<AuthUser, string>()

  fastify.post('/api/auth/session', {
    config: { auth: {} },
    schema: {
      tags: ['auth'],
      operationId: 'createSession',
      summary: 'Exchange a bearer token for a session cookie',
      description: 'The host app, holding a bearer token, gets an HttpOnly session cookie (so EventSource and fetch from the page authenticate) and a readable CSRF cookie whose value cookie-authenticated writes send as X-CSRF-Token. Only with a bearer token (400 otherwise).',
      security: [{ bearerAuth: [] }],
      response: {
        200: { ...ref(Session), description: 'The session; the cookies are set', headers: { 'Set-Cookie': SetCookie } },
        ...errorResponses(400, 401, 403, 413, 415)
      }
    }
  }, async (request, reply) => {
    const user = request.user!
    const token = request.headers.authorization?.slice('Bearer '.length)
    if (user.via !== 'bearer' || !token) throw new AppError('BAD_REQUEST', 'Start a session with a bearer token')
    const csrfToken = fastify.auth.csrfTokenFor(token)
    const expires = user.expiresAt
    reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, secure, sameSite: 'lax', path: '/', expires })
    // Readable by the page on purpose: the double-submit check compares it with the header.
    reply.setCookie(CSRF_COOKIE, csrfToken, { httpOnly: false, secure, sameSite: 'lax', path: '/', expires })
    return { sub: user.sub, roles: user.roles, ...(user.team ? { team: user.team } : {}), via: user.via, expiresAt: expires.toISOString(), csrfToken }
  })

  fastify.get('/api/auth/session', {
    config: { auth: {} },
    schema: {
      tags: ['auth'],
      operationId: 'getSession',
      summary: 'Who the caller is; for cookie sessions, the CSRF token too',
      description: 'The caller\'s claims as the service read them (roles per project, team, expiry), from the bearer token or the session cookie.',
      security: BEARER_OR_COOKIE,
      response: { 200: ref(Session), ...errorResponses(400, 401) }
    }
  }, (request, reply) => {
    const user = request.user!
    let body = sessionBodies.get(user)
    if (body === undefined) {
      const session = request.cookies[SESSION_COOKIE]
      body = reply.serialize({
        sub: user.sub,
        roles: user.roles,
        ...(user.team ? { team: user.team } : {}),
        via: user.via,
        expiresAt: user.expiresAt.toISOString(),
        ...(user.via === 'cookie' && session ? { csrfToken: fastify.auth.csrfTokenFor(session) } : {})
      }) as string
      sessionBodies.set(user, body)
    }
    // A string with its content type is sent as it is (the type provider only knows the object form).
    reply.type('application/json; charset=utf-8').send(body as never)
  })

  fastify.delete('/api/auth/session', {
    config: { auth: {} },
    schema: {
      tags: ['auth'],
      operationId: 'deleteSession',
      summary: 'End the browser session',
      description: 'Clears the session and CSRF cookies. The token itself stays valid until it expires.',
      security: [{ cookieAuth: [] }, { bearerAuth: [] }],
      response: {
        204: Type.Null({ description: 'Signed out; the cookies are cleared', headers: { 'Set-Cookie': SetCookie } }),
        ...errorResponses(400, 401, 403, 413, 415)
      }
    }
  }, async (_request, reply) => {
    reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' })
    return reply.code(204).send(null)
  })
}

export default authSessionRoutes
