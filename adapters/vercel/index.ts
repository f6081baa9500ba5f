import fp from 'fastify-plugin'
import { defineProvider } from '../../src/provider-kit/manifest.js'
import { oauthClient } from '../../src/provider-kit/env.js'
import { VercelEnv, VercelLinkConfig } from './config.js'
import { VERCEL_ACTIONS, createVercelAdapter } from './status.js'
import { vercelOAuth } from './oauth.js'
import { vercelWebhook } from './webhook.js'

export const vercelProvider = defineProvider({
  key: 'vercel',
  label: 'Vercel',
  config: VercelLinkConfig,
  env: VercelEnv,
  actions: VERCEL_ACTIONS,
  setup (env) {
    const client = oauthClient('VERCEL_OAUTH_CLIENT_ID', env.VERCEL_OAUTH_CLIENT_ID, env.VERCEL_OAUTH_CLIENT_SECRET)
    return {
      ...createVercelAdapter({ apiUrl: env.VERCEL_API_URL }),
      oauth: vercelOAuth({ webUrl: env.VERCEL_OAUTH_URL, apiUrl: env.VERCEL_API_URL, client }),
      webhook: vercelWebhook(env.VERCEL_WEBHOOK_SECRET)
    }
  }
})

/** The plugin registers the manifest onto the aggregator; `.manifest` is for tests and scripts without an app. */
export default Object.assign(fp(async function vercelProviderPlugin (fastify) {
  fastify.aggregator.register(vercelProvider)
}, { name: 'adapter-vercel', dependencies: ['aggregator'], fastify: '5.x' }), { manifest: vercelProvider })
