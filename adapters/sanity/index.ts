import fp from 'fastify-plugin'
import { defineProvider } from '../../src/provider-kit/manifest.js'
import { SanityEnv, SanityLinkConfig } from './config.js'
import { SANITY_ACTIONS, createSanityAdapter } from './status.js'
import { sanityWebhook } from './webhook.js'

/** No OAuth for this: connect takes a token in params, proven by a live check before it is stored. */
export const sanityProvider = defineProvider({
  key: 'sanity',
  label: 'Sanity',
  config: SanityLinkConfig,
  env: SanityEnv,
  actions: SANITY_ACTIONS,
  setup: (env) => ({
    ...createSanityAdapter({ apiUrl: env.SANITY_API_URL, managementApiUrl: env.SANITY_MANAGEMENT_API_URL }),
    webhook: sanityWebhook(env.SANITY_WEBHOOK_SECRET)
  })
})

/** The plugin registers the manifest onto the aggregator; `.manifest` is for tests and scripts without an app. */
export default Object.assign(fp(async function sanityProviderPlugin (fastify) {
  fastify.aggregator.register(sanityProvider)
}, { name: 'adapter-sanity', dependencies: ['aggregator'], fastify: '5.x' }), { manifest: sanityProvider })
