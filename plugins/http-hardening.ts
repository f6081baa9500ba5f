import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'

const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-None-Match', 'Last-Event-ID', 'X-CSRF-Token', 'X-Request-Id']
const EXPOSED_HEADERS = ['ETag', 'Location', 'Retry-After', 'X-Request-Id', 'Idempotent-Replayed', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Events-Position'].join(', ')

/**
 * Browser-facing headers: CORS only for ALLOWED_ORIGINS (with credentials, for the session
 * cookie), no MIME sniffing, no framing, and the request id echoed for support tickets.
 *
 * Every request pays for one synchronous hook. CORS costs nothing without an Origin header (a
 * same-origin or server-to-server call) beyond `Vary: Origin`: the grant headers are added only
 * for an allowed Origin.
 * Preflights (OPTIONS) are @fastify/cors's, registered in a child context so that its hook runs
 * for its OPTIONS route only, not in front of every other route.
 */
export default fp(async function httpHardeningPlugin (fastify) {
  const allowed = new Set(fastify.config.allowedOrigins)
  const varyOnOrigin = allowed.size > 0
  await fastify.register(async function preflight (child) {
    await child.register(cors, {
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      credentials: true,
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600
    })
  })
  fastify.addHook('onRequest', function hardenResponse (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    reply.header('x-request-id', request.id)
    reply.header('x-content-type-options', 'nosniff')
    reply.header('x-frame-options', 'DENY')
    reply.header('referrer-policy', 'no-referrer')
    if (request.method === 'OPTIONS') return done()
    // With origins allowed, every answer depends on Origin (granted or not), including one to a
    // request without it: a shared cache must not hand that one to a cross-origin page (Fetch
    // standard, "CORS protocol and HTTP caches"). The first hook of every request, so nothing set
    // Vary yet; later ones append to it.
    if (varyOnOrigin) reply.header('vary', 'Origin')
    const origin = request.headers.origin
    if (origin !== undefined && allowed.has(origin)) {
      reply.header('access-control-allow-origin', origin)
      reply.header('access-control-allow-credentials', 'true')
      reply.header('access-control-expose-headers', EXPOSED_HEADERS)
    }
    done()
  })
}, { name: 'http-hardening', dependencies: ['config'], fastify: '5.x' })
