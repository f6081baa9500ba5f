import fp from 'fastify-plugin'
import etag from '@fastify/etag'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { SHARED_SCHEMAS } from '../src/schemas/index.js'
import { SESSION_COOKIE } from './auth.js'
import { addStandardResponses } from '../src/schemas/standard-responses.js'
import { transformDocument } from '../src/openapi-transform.js'
import { webhookSecurityScheme } from '../src/provider-kit/webhook-contract.js'

/**
 * The OpenAPI 3.1 document, generated from the routes' TypeBox schemas. Shared schemas are added
 * by $id first, and component names are their $ids, so clients generated from openapi.yaml get
 * stable, readable type names. Must be registered before any route.
 */
type SecurityScheme =
  | { type: 'http', scheme: 'bearer', bearerFormat?: string, description: string }
  | { type: 'apiKey', in: 'header' | 'cookie', name: string, description?: string }

const BEARER_DESCRIPTION = 'A JWT from the host workspace (claims sub, roles, team, exp): HS256 with the service\'s secret, ' +
  'or RS256/ES256/EdDSA signed by the identity provider (AUTH_JWKS_URL), handled per RFC8725: an explicit algorithm list, never "none", exp required'

export default fp(async function swaggerPlugin (fastify) {
  const securitySchemes: Record<string, SecurityScheme> = {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: BEARER_DESCRIPTION
    },
    cookieAuth: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
    hostWorker: { type: 'http', scheme: 'bearer', description: 'HOST_WORKER_TOKEN, for the host workspace\'s action worker' }
  }
  for (const schema of SHARED_SCHEMAS) fastify.addSchema(schema)
  // Before any route: the statuses every route of a kind can answer (src/schemas/standard-responses.ts).
  fastify.addHook('onRoute', addStandardResponses)
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'integration-status',
        version: '2.0.0',
        description: 'Live status of a project\'s provider connections (GET /api/providers lists the providers). ' +
          'Every 4xx/5xx response has the `Error` body; its `code` is stable. ' +
          'A request the HTTP parser cannot read (broken framing, or headers over 16 KiB in all) is answered on any path, ' +
          'before routing, with 400 `BAD_REQUEST` or 431 `HEADERS_TOO_LARGE`, and the connection is closed.'
      },
      // Relative: the document is served by the service it describes, wherever that is mounted.
      // x-internal false: browsers of the workspace call it too, not only backend services.
      servers: [{ url: '/', description: 'This service, in whichever environment serves the document (local, staging or production)', ...{ 'x-internal': false } }],
      tags: [
        { name: 'status', description: 'The project\'s integrations as the caller may see them' },
        { name: 'events', description: 'Live updates (Server-Sent Events)' },
        { name: 'actions', description: 'Quick actions on integrations, and OAuth connect/reconnect' },
        { name: 'integrations', description: 'Linking providers to projects' },
        { name: 'rollout', description: 'Who gets the new integrations UI' },
        { name: 'auth', description: 'Browser sessions' },
        { name: 'providers', description: 'The providers this service can link' },
        { name: 'webhooks', description: 'Signed deliveries from the providers' },
        { name: 'host', description: 'The host workspace\'s action worker' },
        { name: 'operations', description: 'Health and metrics' }
      ],
      components: {
        securitySchemes
      }
    },
    // Only an OpenAPI document is ever generated here (never Swagger 2's swaggerObject).
    transformObject: (documentObject) => transformDocument((documentObject as { openapiObject: Record<string, unknown> }).openapiObject),
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`)
    }
  })
  // The webhook signatures of the registered providers: known once they are, before any document
  // is built (swagger reads this object when it builds one).
  fastify.addHook('onReady', async () => {
    for (const { adapter } of fastify.aggregator.providers()) {
      const contract = adapter.webhook?.contract
      if (contract) securitySchemes[contract.scheme] = webhookSecurityScheme(contract)
    }
  })
  await fastify.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } })
  // In a context of its own with @fastify/etag (a weak ETag from the body, 304 on If-None-Match),
  // so that etag's onSend hook runs for this route only. Serialized once: the document is fixed.
  await fastify.register(async function openapiDocument (child) {
    await child.register(etag, { weak: true })
    let body: string | undefined
    child.get('/openapi.json', { schema: { hide: true }, config: { compress: {} } }, async (_request, reply) => {
      reply.type('application/json; charset=utf-8')
      return (body ??= JSON.stringify(fastify.swagger()))
    })
  })
}, { name: 'swagger', dependencies: ['config', 'compression'], fastify: '5.x' })
