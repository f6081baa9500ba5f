import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError } from '../errors.js'
import { BEARER_OR_COOKIE, ProjectId, errorResponses, ref } from '../schemas/common.js'
import {
  IntegrationLinkList, IntegrationLinkRef, PatchIntegrationLinkBody, ProviderKeyRef, PutIntegrationLinkBodyRef
} from '../schemas/integration-link.js'

const ProjectParams = Type.Object({ projectId: ProjectId })
const LinkParams = Type.Object({ projectId: ProjectId, key: ProviderKeyRef })
// Linking decides where credentials go: only the project's owners and admins may touch it.
const manage = { auth: { roles: ['owner', 'admin'] as const } }

const integrationLinksRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const links = fastify.integrationLinks

  fastify.get('/api/projects/:projectId/integrations', {
    config: manage,
    schema: {
      tags: ['integrations'],
      summary: 'List the project\'s integration links',
      security: BEARER_OR_COOKIE,
      params: ProjectParams,
      response: { 200: ref(IntegrationLinkList), ...errorResponses(400, 401, 403) }
    }
  }, async (request) => ({ projectId: request.params.projectId, items: await links.list(request.params.projectId) }))

  fastify.put('/api/projects/:projectId/integrations/:key', {
    config: manage,
    schema: {
      tags: ['integrations'],
      summary: 'Link a provider to the project, or replace its link',
      description: 'The config must match the key (each provider\'s link config, see GET /api/providers). Credentials are stored encrypted and never returned.',
      security: BEARER_OR_COOKIE,
      params: LinkParams,
      body: PutIntegrationLinkBodyRef,
      response: { 200: IntegrationLinkRef, 201: IntegrationLinkRef, ...errorResponses(400, 401, 403, 413, 415) }
    },
    // Before the generic check: the key tells which config applies, so errors name the real field.
    preValidation: async (request) => {
      const { key } = request.params as { key: string }
      const config = (request.body as { config?: unknown } | null)?.config
      const schema = fastify.aggregator.provider(key)?.manifest.config
      if (!schema || typeof config !== 'object' || config === null) return
      const details = [...Value.Errors(schema, config)].slice(0, 10).map((e) => ({ path: `/config${e.path}`, in: 'body' as const, message: e.message }))
      if (details.length > 0) throw new AppError('VALIDATION_FAILED', `config is not a valid ${schema.$id}: ${details[0]!.path} ${details[0]!.message}`, { details })
    }
  }, async (request, reply) => {
    const { projectId, key } = request.params
    const { link, created } = await links.put(projectId, key, request.body.config, request.body.credentials.token)
    request.log.info({ projectId, provider: key, created }, 'integration linked')
    return reply.code(created ? 201 : 200).send(link)
  })

  fastify.patch('/api/projects/:projectId/integrations/:key', {
    config: manage,
    schema: {
      tags: ['integrations'],
      summary: 'Enable, disable or hide an integration from roles',
      security: BEARER_OR_COOKIE,
      params: LinkParams,
      body: ref(PatchIntegrationLinkBody),
      response: { 200: IntegrationLinkRef, ...errorResponses(400, 401, 403, 404, 413, 415) }
    }
  }, async (request) => {
    const link = await links.patch(request.params.projectId, request.params.key, request.body)
    if (!link) throw new AppError('LINK_NOT_FOUND')
    return link
  })

  fastify.delete('/api/projects/:projectId/integrations/:key', {
    config: manage,
    schema: {
      tags: ['integrations'],
      summary: 'Unlink a provider and forget its credentials',
      security: BEARER_OR_COOKIE,
      params: LinkParams,
      response: { 204: Type.Null({ description: 'Unlinked' }), ...errorResponses(400, 401, 403, 404, 413, 415) }
    }
  }, async (request, reply) => {
    const removed = await links.remove(request.params.projectId, request.params.key)
    if (!removed) throw new AppError('LINK_NOT_FOUND')
    request.log.info({ projectId: request.params.projectId, provider: request.params.key }, 'integration unlinked')
    return reply.code(204).send(null)
  })
}

export default integrationLinksRoutes
