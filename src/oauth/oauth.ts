import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createOAuthStates } from './states.js'
import { createOAuthProviders } from './providers.js'
import { createConnectExecutors } from './connect.js'

/** OAuth connect/reconnect: states, the providers' flows, and the executors. `fastify.oauth`. */
export function createOAuth (fastify: FastifyInstance, now: () => number) {
  const states = createOAuthStates(fastify.db, fastify.config.jwtSecret, now)
  const providers = createOAuthProviders(fastify.config, (key) => fastify.aggregator.adapter(key)?.oauth)
  const executorsFor = createConnectExecutors({ states, oauth: providers, provider: (key) => fastify.aggregator.provider(key) })
  return { states, providers, executorsFor }
}

declare module 'fastify' {
  interface FastifyInstance {
    oauth: ReturnType<typeof createOAuth>
  }
}

export default fp<{ now?: () => number }>(async function oauthPlugin (fastify, { now = Date.now }) {
  fastify.decorate('oauth', createOAuth(fastify, now))
}, { name: 'oauth', dependencies: ['config', 'db', 'aggregator'], fastify: '5.x' })
