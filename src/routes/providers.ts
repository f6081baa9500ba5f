import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BEARER_OR_COOKIE, errorResponses, ref } from '../schemas/common.js'
import { ProviderList } from '../schemas/providers.js'

/**
 * The providers this service knows, from their registered manifests: what a UI needs to label
 * them and to build a link form (config and credentials as JSON Schema). Any authenticated caller.
 */
const providersRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  // The same for every caller and fixed once the app is built.
  const body: ProviderList = {
    providers: fastify.aggregator.providers().map(({ manifest, adapter, credentials }) => ({
      key: manifest.key,
      label: manifest.label,
      // Offered only where this service has the provider's OAuth app; otherwise connect takes a token.
      oauth: adapter.oauth?.client !== undefined,
      config: JSON.parse(JSON.stringify(manifest.config)),
      credentials: JSON.parse(JSON.stringify(credentials))
    }))
  }

  fastify.get('/api/providers', {
    config: { auth: {} },
    schema: {
      operationId: 'listProviders',
      tags: ['providers'],
      summary: 'The providers this service can link, with their link config and credential schemas',
      description: 'Labels, whether connect goes through OAuth, and the JSON Schemas of each provider\'s link config and credentials (secrets marked writeOnly): what a UI needs to build a link form. The same for every caller.',
      security: BEARER_OR_COOKIE,
      response: { 200: ref(ProviderList), ...errorResponses(401) }
    }
  }, async () => body)
}

export default providersRoutes
