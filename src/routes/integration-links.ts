import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'
import { BEARER_OR_COOKIE, ProjectId, errorResponses, ref } from '../schemas/common.js'
import type { ProviderKey } from '../db/database.js'
import {
  IntegrationLinkList, IntegrationLinkRef, PatchIntegrationLinkBody, ProviderKeyRef, PutIntegrationLinkBody, PutLinkBodyRef, providerLabel
} from '../schemas/integration-link.js'

const ProjectParams = Type.Object({ projectId: ProjectId })
const LinkParams = Type.Object({ projectId: ProjectId, key: ProviderKeyRef })
// Linking decides where credentials go: only the project's owners and admins may touch it.
const manage = { auth: { roles: ['owner', 'admin'] as const } }

/**
 * Before the generic check: the key tells which config applies, so errors name the real field
 * and the config it should have been (the bodies' config union alone cannot).
 */
function checkConfigFor (fastify: FastifyInstance, keyOf: (request: FastifyRequest) => string) {
  return async (request: FastifyRequest) => {
    const config = (request.body as { config?: unknown } | null)?.config
    const schema = fastify.aggregator.provider(keyOf(request))?.manifest.config
    if (!schema || typeof config !== 'object' || config === null) return
    const details = [...Value.Errors(schema, config)].slice(0, 10).map((e) => ({ path: `/config${e.path}`, in: 'body' as const, message: e.message }))
    if (details.length > 0) throw new AppError('VALIDATION_FAILED', `config is not a valid ${schema.$id}: ${details[0]!.path} ${details[0]!.message}`, { details })
  }
}

const integrationLinksRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const links = fastify.integrationLinks

  fastify.get('/api/projects/:projectId/integrations', {
    config: manage,
    schema: {
      tags: ['integrations'],
      operationId: 'listIntegrationLinks',
      summary: 'List the project\'s integration links',
      description: 'Every provider linked to the project, with its config (secrets in configs masked) and whether credentials are stored; never the credentials.',
      security: BEARER_OR_COOKIE,
      params: ProjectParams,
      response: { 200: ref(IntegrationLinkList), ...errorResponses(400, 401, 403) }
    }
  }, async (request) => ({ projectId: request.params.projectId, items: await links.list(request.params.projectId) }))

  async function putLink (projectId: string, key: ProviderKey, body: PutIntegrationLinkBody, request: FastifyRequest, reply: FastifyReply) {
    const { link, created } = await links.put(projectId, key, body.config, body.credentials.token)
    request.log.info({ projectId, provider: key, created }, 'integration linked')
    return reply.code(created ? 201 : 200).send(link)
  }

  // One operation per provider, from the provider list: each body's config is that provider's.
  for (const { manifest } of fastify.aggregator.providers()) {
    const key = manifest.key
    const label = providerLabel(key)
    fastify.put(`/api/projects/:projectId/integrations/${key}`, {
      config: manage,
      schema: {
        tags: ['integrations'],
        operationId: `put${label}IntegrationLink`,
        summary: `Link ${manifest.label} to the project, or replace its link`,
        description: `The config is a ${manifest.config.$id!}. Credentials are stored encrypted and never returned. 201 when the link is new, 200 when it replaced one.`,
        security: BEARER_OR_COOKIE,
        params: ProjectParams,
        body: PutLinkBodyRef(key),
        response: { 200: IntegrationLinkRef, 201: IntegrationLinkRef, ...errorResponses(400, 401, 403, 413, 415) }
      },
      preValidation: checkConfigFor(fastify, () => key)
    }, async (request, reply) => putLink(request.params.projectId, key, request.body as PutIntegrationLinkBody, request, reply))
  }

  // The parametric form of the same, for clients built before the per-provider operations: the
  // routes above take every known key first, so only unknown keys reach it (UNKNOWN_PROVIDER).
  fastify.put('/api/projects/:projectId/integrations/:key', {
    config: manage,
    schema: {
      hide: true,
      params: LinkParams,
      body: PutIntegrationLinkBody,
      response: { 200: IntegrationLinkRef, 201: IntegrationLinkRef, ...errorResponses(400, 401, 403, 413, 415) }
    },
    preValidation: checkConfigFor(fastify, (request) => (request.params as { key: string }).key)
  }, async (request, reply) => putLink(request.params.projectId, request.params.key, request.body, request, reply))

  fastify.patch('/api/projects/:projectId/integrations/:key', {
    config: manage,
    schema: {
      tags: ['integrations'],
      operationId: 'updateIntegrationLink',
      summary: 'Enable, disable or hide an integration from roles',
      description: 'A disabled integration is not checked; roles in hiddenFromRoles see it only as hidden_by_policy.',
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
      operationId: 'deleteIntegrationLink',
      summary: 'Unlink a provider and forget its credentials',
      description: 'The link and its encrypted credentials are deleted; the status shows the integration as not connected.',
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
