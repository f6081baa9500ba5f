import type { FastifyInstance } from 'fastify'
import configPlugin, { type AppConfig } from '../plugins/config.js'
import errorsPlugin from '../plugins/errors.js'
import httpHardeningPlugin from '../plugins/http-hardening.js'
import metricsPlugin from '../plugins/metrics.js'
import compressionPlugin from '../plugins/compression.js'
import drainPlugin from '../plugins/drain.js'
import swaggerPlugin from '../plugins/swagger.js'
import dbPlugin, { type DbPluginOptions } from '../plugins/db.js'
import backendsPlugin from '../plugins/backends.js'
import credentialsPlugin from '../plugins/credentials.js'
import authPlugin from '../plugins/auth.js'
import integrationLinksPlugin from './repositories/integration-links.js'
import providerHttpPlugin from '../plugins/provider-http.js'
import aggregatorPlugin from './aggregator/aggregator.js'
import { PROVIDER_PLUGINS } from '../adapters/index.js'
import providerSchemasPlugin from '../plugins/provider-schemas.js'
import rateLimitPlugin from '../plugins/rate-limit.js'
import actionsPlugin from './actions/actions.js'
import eventsPlugin from './events/events.js'
import rolloutPlugin from './rollout/rollout.js'
import oauthPlugin from './oauth/oauth.js'
import healthRoutes from './routes/health.js'
import authSessionRoutes from './routes/auth-session.js'
import integrationLinksRoutes from './routes/integration-links.js'
import integrationStatusRoutes from './routes/integration-status.js'
import integrationActionsRoutes from './routes/integration-actions.js'
import hostActionsRoutes from './routes/host-actions.js'
import oauthCallbackRoutes from './routes/oauth-callback.js'
import webhookRoutes from './routes/webhooks.js'
import integrationEventsRoutes from './routes/integration-events.js'
import rolloutRoutes from './routes/rollout.js'
import providersRoutes from './routes/providers.js'
import webAssetsRoutes from './routes/web-assets.js'
import devLoginRoutes from './routes/dev-login.js'

export interface AppOptions extends DbPluginOptions {
  config: AppConfig
  /** The clock for status timestamps and freshness (epoch ms); tests fix it. */
  now?: () => number
}

/**
 * The whole service as one plugin: cross-cutting plugins first (errors and swagger must precede
 * routes), then shared state, then routes. server.ts, tests and scripts all register this.
 */
export default async function app (fastify: FastifyInstance, options: AppOptions) {
  await fastify.register(configPlugin, { config: options.config })
  await fastify.register(errorsPlugin)
  await fastify.register(httpHardeningPlugin)
  await fastify.register(metricsPlugin)
  await fastify.register(drainPlugin)
  // Before swagger: its routes (openapi.json, the docs assets) are among those compressed.
  await fastify.register(compressionPlugin)
  await fastify.register(swaggerPlugin)
  await fastify.register(dbPlugin, options.pglite ? { pglite: options.pglite } : {})
  await fastify.register(backendsPlugin)
  await fastify.register(credentialsPlugin)
  await fastify.register(authPlugin)
  await fastify.register(integrationLinksPlugin)
  await fastify.register(providerHttpPlugin)
  await fastify.register(aggregatorPlugin, options.now ? { now: options.now } : {})
  // Each provider's plugin registers its manifest onto the aggregator; core derives the rest from them.
  for (const provider of PROVIDER_PLUGINS) await fastify.register(provider)
  await fastify.register(providerSchemasPlugin)
  await fastify.register(eventsPlugin)
  await fastify.register(rolloutPlugin)
  await fastify.register(oauthPlugin, options.now ? { now: options.now } : {})
  await fastify.register(actionsPlugin, options.now ? { now: options.now } : {})
  await fastify.register(rateLimitPlugin)

  await fastify.register(healthRoutes)
  await fastify.register(authSessionRoutes)
  await fastify.register(providersRoutes)
  await fastify.register(integrationLinksRoutes)
  await fastify.register(integrationStatusRoutes)
  await fastify.register(integrationActionsRoutes)
  await fastify.register(hostActionsRoutes)
  await fastify.register(oauthCallbackRoutes)
  await fastify.register(webhookRoutes)
  await fastify.register(integrationEventsRoutes)
  await fastify.register(rolloutRoutes)
  await fastify.register(webAssetsRoutes)
  await fastify.register(devLoginRoutes)
}
