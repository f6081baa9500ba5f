import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError } from '../errors.js'
import { BEARER_OR_COOKIE, errorResponses, ref } from '../schemas/common.js'
import { Session } from '../schemas/session.js'
import { CSRF_COOKIE, SESSION_COOKIE } from '../../plugins/auth.js'

/**
 * Browser sessions. The host app, holding a bearer token, exchanges it for an HttpOnly cookie so
 * that EventSource and fetch from the page can authenticate; writes then need the CSRF token.
 */
const authSessionRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const secure = fastify.config.production

  fastify.post('/api/auth/session', {
    config: { auth: {} },
    schema: {
      tags: ['auth'],
      summary: 'Exchange a bearer token for a session cookie',
      security: [{ bearerAuth: [] }],
      response: { 200: ref(Session), ...errorResponses(400, 401, 403, 413, 415) }
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
      summary: 'Who the caller is; for cookie sessions, the CSRF token too',
      security: BEARER_OR_COOKIE,
      response: { 200: ref(Session), ...errorResponses(400, 401) }
    }
  }, async (request) => {
    const user = request.user!
    const session = request.cookies[SESSION_COOKIE]
    return {
      sub: user.sub,
      roles: user.roles,
      ...(user.team ? { team: user.team } : {}),
      via: user.via,
      expiresAt: user.expiresAt.toISOString(),
      ...(user.via === 'cookie' && session ? { csrfToken: fastify.auth.csrfTokenFor(session) } : {})
    }
  })

  fastify.delete('/api/auth/session', {
    config: { auth: {} },
    schema: {
      tags: ['auth'],
      summary: 'End the browser session',
      security: [{ cookieAuth: [] }, { bearerAuth: [] }],
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 413, 415) }
    }
  }, async (_request, reply) => {
    reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' })
    return reply.code(204).send(null)
  })
}

export default authSessionRoutes
