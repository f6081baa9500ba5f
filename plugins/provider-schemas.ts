import fp from 'fastify-plugin'
import { providerSchemas } from '../src/schemas/integration-link.js'

/**
 * Adds the schemas that follow from the provider set (ProviderKey, each provider's link config,
 * PutIntegrationLinkBody, IntegrationLink) from the registered manifests, so validation and the
 * OpenAPI document come from the manifests' TypeBox schemas. Register it after the provider
 * plugins and before any route.
 */
export default fp(async function providerSchemasPlugin (fastify) {
  const providers = fastify.aggregator.providers().map(({ manifest }) => ({ key: manifest.key, config: manifest.config }))
  if (providers.length === 0) throw new Error('provider-schemas: register the provider plugins first')
  for (const schema of providerSchemas(providers)) fastify.addSchema(schema)
}, { name: 'provider-schemas', dependencies: ['swagger', 'aggregator'], fastify: '5.x' })
