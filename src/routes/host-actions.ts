import { timingSafeEqual, createHash } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError } from '../errors.js'
import { NO_NUL, errorResponses, ref } from '../schemas/common.js'
import { Action } from '../schemas/action.js'

const WorkerId = Type.String({ pattern: '^[\\w.:-]{1,128}$', maxLength: 128, description: 'Names the worker process; only it may report on what it claimed' })
const JsonObject = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 100 })
const HOST_SECURITY = [{ hostWorker: [] }]

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * The outbound queue for actions whose work belongs to the host workspace (a git provider's push and pull
 * of workspace content). The host's worker claims them, reports progress, and finishes them;
 * a claim it does not report on within five minutes returns to the queue (three tries), and an
 * action nobody claims in fifteen minutes fails. Authenticated by HOST_WORKER_TOKEN.
 */
const hostActionsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const secret = fastify.config.hostWorkerToken
  fastify.addHook('onRequest', async (request) => {
    const match = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')
    // Digests first: timingSafeEqual needs equal lengths, and the comparison must not leak the length.
    if (!secret || !match || !timingSafeEqual(digest(match[1]!), digest(secret))) {
      throw new AppError('UNAUTHENTICATED', 'The host worker token is missing or wrong')
    }
  })

  const HostAction = Type.Intersect([ref(Action), Type.Object({ userId: Type.String({ description: 'Who asked for the action' }) })])

  fastify.post('/api/host/actions/claim', {
    schema: {
      tags: ['host'],
      operationId: 'claimHostActions',
      summary: 'Claim queued host actions (for the host workspace\'s worker)',
      description: 'Up to `limit` queued actions whose work belongs to the host workspace (a provider\'s push and pull of workspace content), now held by this worker. A claim not reported on within five minutes returns to the queue (three tries).',
      security: HOST_SECURITY,
      body: Type.Object({ workerId: WorkerId, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, format: 'int32', default: 5 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(HostAction) }), ...errorResponses(400, 401, 413, 415) }
    }
  }, async (request) => ({ items: await fastify.actions.host.claim(request.body.workerId, request.body.limit ?? 5) }))

  const IdParams = Type.Object({ id: Type.String({ format: 'uuid', maxLength: 36 }) })

  fastify.post('/api/host/actions/:id/progress', {
    schema: {
      tags: ['host'],
      operationId: 'reportHostActionProgress',
      summary: 'Report progress on a claimed action (also renews the claim)',
      description: 'The progress object is published on the action and its event stream. 409 when this worker does not hold the action.',
      security: HOST_SECURITY,
      params: IdParams,
      body: Type.Object({ workerId: WorkerId, progress: JsonObject }, { additionalProperties: false }),
      response: { 200: ref(Action), ...errorResponses(400, 401, 409, 413, 415) }
    }
  }, async (request) => fastify.actions.host.progress(request.params.id, request.body.workerId, request.body.progress))

  fastify.post('/api/host/actions/:id/complete', {
    schema: {
      tags: ['host'],
      operationId: 'completeHostAction',
      summary: 'Finish a claimed action',
      description: 'Succeeded with a result, or failed with an error code and message. 409 when this worker does not hold the action.',
      security: HOST_SECURITY,
      params: IdParams,
      body: Type.Union([
        Type.Object({ workerId: WorkerId, status: Type.Literal('succeeded'), result: JsonObject }, { additionalProperties: false }),
        Type.Object({
          workerId: WorkerId,
          status: Type.Literal('failed'),
          error: Type.Object({ code: Type.String({ maxLength: 64, pattern: NO_NUL }), message: Type.String({ maxLength: 1000, pattern: NO_NUL }) }, { additionalProperties: false })
        }, { additionalProperties: false })
      ]),
      response: { 200: ref(Action), ...errorResponses(400, 401, 409, 413, 415) }
    }
  }, async (request) => {
    const body = request.body
    return fastify.actions.host.complete(request.params.id, body.workerId,
      body.status === 'succeeded' ? { status: 'succeeded', result: body.result } : { status: 'failed', error: body.error })
  })
}

export default hostActionsRoutes
