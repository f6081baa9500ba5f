import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BEARER_OR_COOKIE, errorResponses } from '../schemas/common.js'
import { PROVIDER_KEYS } from '../domain/providers.js'
import { LINK_CONFIG_SCHEMAS } from '../schemas/integration-link.js'
import { isOAuthProvider } from '../oauth/providers.js'

// TEMPORARY (issue 19): a minimal copy of the provider catalog that branch 16a builds from the
// provider manifests (interfaces item 1). The lead replaces this file with 16a's at merge; the
// shape is the agreed one, the titles below are what 16a's manifests carry.

const JsonSchema = Type.Object({}, { additionalProperties: true, description: 'A JSON Schema' })

const ProviderEntry = Type.Object({
  key: Type.String(),
  label: Type.String({ description: 'Display name, e.g. "GitHub"' }),
  oauth: Type.Boolean({ description: 'Connect and reconnect go through the provider\'s OAuth consent page on this service; otherwise they take a token' }),
  config: JsonSchema,
  credentials: JsonSchema
})

const ProviderCatalog = Type.Object({ providers: Type.Array(ProviderEntry) })

const LABELS: Record<string, string> = { github: 'GitHub', vercel: 'Vercel', sanity: 'Sanity', supabase: 'Supabase' }
const FIELD_TITLES: Record<string, string> = {
  owner: 'Owner',
  repo: 'Repository',
  branch: 'Branch',
  projectId: 'Project ID',
  teamId: 'Team ID',
  dataset: 'Dataset',
  projectRef: 'Project reference',
  databaseUrl: 'Database URL'
}
const TOKEN_TITLES: Record<string, string> = {
  github: 'Personal access token', vercel: 'Access token', sanity: 'API token', supabase: 'Access token'
}
// Secrets in a link's config: never sent back, and not accepted through connect.
const SECRET_FIELDS = new Set(['databaseUrl'])

/** A plain JSON Schema (no $id) whose properties carry a title. */
function configSchema (key: string) {
  const { $id: _id, ...schema } = JSON.parse(JSON.stringify(LINK_CONFIG_SCHEMAS[key as keyof typeof LINK_CONFIG_SCHEMAS])) as Record<string, unknown> & { properties: Record<string, Record<string, unknown>> }
  for (const [name, property] of Object.entries(schema.properties)) {
    property.title = FIELD_TITLES[name] ?? name
    if (SECRET_FIELDS.has(name)) property.writeOnly = true
  }
  return schema
}

const providersRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/providers', {
    config: { auth: {} },
    schema: {
      tags: ['providers'],
      operationId: 'listProviders',
      summary: 'The providers this service knows: display names, and what linking each one takes',
      security: BEARER_OR_COOKIE,
      response: { 200: ProviderCatalog, ...errorResponses(400, 401) }
    }
  }, async () => ({
    providers: PROVIDER_KEYS.map((key) => ({
      key,
      label: LABELS[key] ?? key,
      oauth: isOAuthProvider(key) && fastify.oauth.providers.configured(key),
      config: configSchema(key),
      credentials: {
        type: 'object',
        required: ['token'],
        additionalProperties: false,
        properties: { token: { type: 'string', minLength: 1, maxLength: 4096, title: TOKEN_TITLES[key] ?? 'Access token', writeOnly: true } }
      }
    }))
  }))
}

export default providersRoutes
