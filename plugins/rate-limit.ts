import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import { Redis } from 'ioredis'
import { AppError } from '../src/errors.js'

/**
 * @fastify/rate-limit, off by default: routes opt in through `config.rateLimit`. With REDIS_URL
 * the counters live in Redis, so a limit holds across every instance; without, in this process.
 * It runs as a preHandler, after the route's own checks, so refused or replayed requests can be
 * left out of the count (`allowList`).
 */
export default fp(async function rateLimitPlugin (fastify) {
  const { redisUrl, redisPrefix } = fastify.config
  // Its own connection: a limiter command must not queue behind the cache's traffic.
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: false }) : undefined
  redis?.on('error', (error: Error) => fastify.log.debug({ err: { message: error.message } }, 'rate-limit redis error'))
  await fastify.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    enableDraftSpec: true,
    ...(redis ? { redis, nameSpace: `${redisPrefix}rate-limit:` } : {}),
    errorResponseBuilder: (_request, context) => new AppError('RATE_LIMITED', `At most ${context.max} per ${context.after === '1 minute' ? 'minute' : 'window'}; retry in ${context.after}`, {
      headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) }
    })
  })
  fastify.addHook('onClose', async () => {
    // QUIT waits for a connection that may never come; a down Redis is simply dropped.
    if (redis?.status === 'ready') await redis.quit().catch(() => redis.disconnect())
    else redis?.disconnect()
  })
}, { name: 'rate-limit', dependencies: ['config', 'errors'], fastify: '5.x' })
