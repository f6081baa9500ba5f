import fp from 'fastify-plugin'
import { createBackends, type Backends } from '../src/backends/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Cache, pub/sub and locks: Redis when REDIS_URL is set, in-process memory otherwise. */
    backends: Backends
  }
}

export default fp(async function backendsPlugin (fastify) {
  const { redisUrl, redisPrefix } = fastify.config
  const backends = createBackends({ ...(redisUrl ? { redisUrl } : {}), prefix: redisPrefix, logger: fastify.log })
  fastify.decorate('backends', backends)
  fastify.addHook('onClose', () => backends.close())
  fastify.log.info({ backends: backends.kind }, 'shared-state backends ready')
}, { name: 'backends', dependencies: ['config'], fastify: '5.x' })
