import fp from 'fastify-plugin'
import { createProviderHttp, type ProviderHttp } from '../src/provider-kit/http.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The one outbound client towards the providers (keep-alive pool per origin, body cap). */
    providerHttp: ProviderHttp
  }
}

/** Status checks, action executors and the OAuth callback share one pool per provider origin. */
export default fp(async function providerHttpPlugin (fastify) {
  const http = createProviderHttp({ maxBodyBytes: fastify.config.status.maxBodyBytes })
  fastify.decorate('providerHttp', http)
  fastify.addHook('onClose', async () => { await http.close() })
}, { name: 'provider-http', dependencies: ['config'], fastify: '5.x' })
