import fp from 'fastify-plugin'
import cors from '@fastify/cors'

/**
 * Browser-facing headers: CORS only for ALLOWED_ORIGINS (with credentials, for the session
 * cookie), no MIME sniffing, no framing, and the request id echoed for support tickets.
 */
export default fp(async function httpHardeningPlugin (fastify) {
  const allowed = new Set(fastify.config.allowedOrigins)
  await fastify.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-None-Match', 'Last-Event-ID', 'X-CSRF-Token', 'X-Request-Id'],
    exposedHeaders: ['ETag', 'Location', 'Retry-After', 'X-Request-Id', 'Idempotent-Replayed', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Events-Position'],
    maxAge: 600
  })
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
    reply.header('x-content-type-options', 'nosniff')
    reply.header('x-frame-options', 'DENY')
    reply.header('referrer-policy', 'no-referrer')
  })
}, { name: 'http-hardening', dependencies: ['config'], fastify: '5.x' })
