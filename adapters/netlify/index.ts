import fp from 'fastify-plugin'
import { defineProvider } from '../../src/provider-kit/manifest.js'
import { oauthClient } from '../../src/provider-kit/env.js'
import { NETLIFY_KEY, NETLIFY_LABEL, NetlifyCredentials, NetlifyEnv, NetlifyLinkConfig } from './config.js'
import { createNetlifyAdapter } from './status.js'
import { NETLIFY_ACTIONS } from './actions.js'
import { netlifyOAuth, verifyNetlifyToken } from './oauth.js'
import { netlifyWebhook } from './webhook.js'

export const netlifyProvider = defineProvider({
  key: NETLIFY_KEY,
  label: NETLIFY_LABEL,
  config: NetlifyLinkConfig,
  credentials: NetlifyCredentials,
  env: NetlifyEnv,
  actions: NETLIFY_ACTIONS,
  setup (env) {
    const apiUrl = env.NETLIFY_API_URL
    const client = oauthClient('NETLIFY_OAUTH_CLIENT_ID', env.NETLIFY_OAUTH_CLIENT_ID, env.NETLIFY_OAUTH_CLIENT_SECRET)
    return {
      ...createNetlifyAdapter({ apiUrl }),
      verifyCredentials: (ctx) => verifyNetlifyToken(apiUrl, ctx),
      // With an OAuth app, connect goes through Netlify's consent screen; without one it takes a
      // personal access token (proven by verifyCredentials), which Netlify users commonly have.
      ...(client ? { oauth: netlifyOAuth({ webUrl: env.NETLIFY_OAUTH_URL, apiUrl, client }) } : {}),
      webhook: netlifyWebhook(env.NETLIFY_WEBHOOK_SECRET)
    }
  }
})

/** The plugin registers the manifest onto the aggregator; `.manifest` is for tests and scripts without an app. */
export default Object.assign(fp(async function netlifyProviderPlugin (fastify) {
  fastify.aggregator.register(netlifyProvider)
}, { name: 'adapter-netlify', dependencies: ['aggregator'], fastify: '5.x' }), { manifest: netlifyProvider })
