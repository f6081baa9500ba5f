import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError } from '../errors.js'
import { ProjectId, ROLES, errorResponses } from '../schemas/common.js'
import { signToken } from '../lib/tokens.js'
import { CSRF_COOKIE, SESSION_COOKIE } from '../../plugins/auth.js'

const SESSION_SECONDS = 8 * 3600

/**
 * Development only (`npm run demo`): signs the browser in as any user with one role on one
 * project, by setting the session and CSRF cookies, then redirects to a page of this service.
 * Off unless DEV_LOGIN=true, and refused whenever NODE_ENV=production.
 */
const devLoginRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { devLogin, jwtSecret } = fastify.config
  if (devLogin) fastify.log.warn('DEV_LOGIN is on: GET /api/dev/login signs anyone in; never expose this instance')

  fastify.get('/api/dev/login', {
    schema: {
      hide: true,
      querystring: Type.Object({
        sub: Type.String({ pattern: '^[A-Za-z0-9_.@-]{1,64}$', default: 'u_demo' }),
        projectId: { ...ProjectId, default: 'p_demo' },
        // Its own copy of the Role union: a default on the shared $id schema would change it everywhere.
        role: Type.Union(ROLES.map((role) => Type.Literal(role)), { default: 'owner' }),
        // A path on this service only: never an open redirect.
        redirect: Type.String({ pattern: '^/(?!/)[^\\s\\\\]*$', maxLength: 512, default: '/ui/demo.html' })
      }, { additionalProperties: false }),
      response: { ...errorResponses(400, 403) }
    }
  }, async (request, reply) => {
    if (!devLogin) throw new AppError('DEV_LOGIN_DISABLED')
    const { sub, projectId, role, redirect } = request.query
    const token = signToken(jwtSecret, { sub, roles: { [projectId]: role } }, { expiresInSeconds: SESSION_SECONDS })
    const expires = new Date(Date.now() + SESSION_SECONDS * 1000)
    reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', path: '/', expires })
    reply.setCookie(CSRF_COOKIE, fastify.auth.csrfTokenFor(token), { httpOnly: false, sameSite: 'lax', path: '/', expires })
    return reply.redirect(`${redirect}${redirect.includes('?') ? '&' : '?'}projectId=${encodeURIComponent(projectId)}`)
  })
}

export default devLoginRoutes
