import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'
import { BEARER_OR_COOKIE, ProjectId, errorResponses, ref } from '../schemas/common.js'
import { ContentEncoding, RATE_LIMIT_HEADERS } from '../schemas/http-headers.js'
import { Action, ActionList, IdempotencyHeaders, PostActionBody } from '../schemas/action.js'
import type { ActionRequest, PreparedAction } from '../actions/actions.js'
import { faultPoint } from '../lib/fault-points.js'

/** The plan's limit: 5 actions a minute per user and project, on every instance together. */
export const ACTIONS_PER_MINUTE = 5

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the Idempotency-Key names an action already accepted: answered again, not counted. */
    actionReplay?: import('../schemas/action.js').Action
    actionRequest?: PreparedAction
    /** The claim this request holds on its Idempotency-Key (given back if it is refused). */
    actionKeyHolder?: string
  }
}

const LOCATION = (id: string) => `/api/integrations/actions/${id}`

function requestOf (request: FastifyRequest): ActionRequest {
  const body = request.body as { projectId: string, provider: ActionRequest['provider'], action: string, params?: Record<string, unknown> }
  const user = request.user!
  return {
    projectId: body.projectId,
    provider: body.provider,
    action: body.action,
    params: body.params ?? {},
    userId: user.sub,
    role: user.roles[body.projectId]!,
    idempotencyKey: String(request.headers['idempotency-key']).toLowerCase()
  }
}

const integrationActionsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const actions = fastify.actions

  fastify.post('/api/integrations/actions', {
    config: {
      auth: { roles: 'any' },
      rateLimit: {
        max: ACTIONS_PER_MINUTE,
        timeWindow: 60_000,
        keyGenerator: (request: FastifyRequest) => `actions:${request.user?.sub}:${(request.body as { projectId?: string }).projectId}`,
        allowList: (request: FastifyRequest) => request.actionReplay !== undefined
      }
    },
    schema: {
      tags: ['actions'],
      operationId: 'createAction',
      summary: 'Run a quick action on one of the project\'s integrations',
      description: [
        'Idempotent: send a fresh UUID as `Idempotency-Key`. The same key with the same request returns the same action',
        '(with `Idempotent-Replayed: true`) and never runs it twice; with another request → 422; while the first is still being',
        `accepted → 409. Who may run what follows the status's actions[].can. At most ${ACTIONS_PER_MINUTE} a minute per user and project (replays do not count).`,
        'The 202 means the action is stored; follow it at the Location, or on the event stream.'
      ].join(' '),
      security: BEARER_OR_COOKIE,
      headers: IdempotencyHeaders,
      body: ref(PostActionBody),
      response: {
        202: {
          ...ref(Action),
          description: 'Accepted (or replayed): the action record',
          headers: {
            Location: Type.String({ maxLength: 100, pattern: '^/api/integrations/actions/[0-9a-f-]{36}$', description: '/api/integrations/actions/{id}: where to follow the action' }),
            'Idempotent-Replayed': Type.Literal('true', { description: 'Only when this answers an earlier request with the same key' }),
            // Not on a replay: replays are not counted.
            ...RATE_LIMIT_HEADERS
          }
        },
        ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503)
      }
    },
    // Before the rate limit (which @fastify/rate-limit appends as a later preHandler): refusals,
    // replays and in-flight duplicates are decided here, so they never use up the caller's five.
    preHandler: async (request) => {
      const prepared = actions.prepare(requestOf(request))
      request.actionRequest = prepared
      const claim = await actions.claim(prepared)
      if (claim.kind === 'replay') request.actionReplay = claim.action
      else request.actionKeyHolder = claim.holder
      faultPoint('after-key-claim')
    },
    // A claimed key whose request was refused (rate limit, failure) is given back for a retry,
    // before the answer leaves, so a client retrying at once never meets its own key.
    onSend: async (request, reply) => {
      if (request.actionKeyHolder && reply.statusCode >= 400) {
        await actions.release(request.actionRequest!, request.actionKeyHolder).catch((error: unknown) => request.log.warn({ err: error }, 'could not release an idempotency key'))
      }
    }
  }, async (request, reply) => {
    // Our claim may have been taken over while we were slow: then we answer as the retry would.
    const stored = request.actionReplay ? undefined : await actions.accept(request.actionRequest!, request.actionKeyHolder!)
    const replay = request.actionReplay ?? (stored?.kind === 'replay' ? stored.action : undefined)
    const action = replay ?? stored!.action
    if (stored?.kind === 'created') faultPoint('after-action-stored')
    if (replay) reply.header('idempotent-replayed', 'true')
    request.log.info({ actionId: action.id, projectId: action.projectId, provider: action.provider, action: action.action, replayed: Boolean(replay) }, 'action accepted')
    return reply.code(202).header('location', LOCATION(action.id)).send(action)
  })

  fastify.get('/api/integrations/actions/:id', {
    config: { auth: {} },
    schema: {
      tags: ['actions'],
      operationId: 'getAction',
      summary: 'One action, as it stands',
      description: 'Its status, progress, result or error. An action of a project the caller has no role on is 404, as an unknown one.',
      security: BEARER_OR_COOKIE,
      params: Type.Object({ id: Type.String({ format: 'uuid', maxLength: 36 }) }),
      response: { 200: ref(Action), ...errorResponses(400, 401, 404) }
    }
  }, async (request) => {
    const action = await actions.get(request.params.id)
    // Someone without a role on the action's project learns nothing, not even that it exists.
    if (!action || !Object.hasOwn(request.user!.roles, action.projectId)) throw new AppError('ACTION_NOT_FOUND')
    return action
  })

  fastify.get('/api/integrations/actions', {
    // A page of up to 100 actions is many kilobytes of JSON: compressed when the client accepts it.
    config: { auth: { roles: 'any' }, compress: {} },
    schema: {
      tags: ['actions'],
      operationId: 'listActions',
      summary: 'The project\'s recent actions, newest first',
      description: 'Pages of `limit` actions; pass the answer\'s `nextCursor` as `before` for the next page.',
      security: BEARER_OR_COOKIE,
      querystring: Type.Object({
        projectId: ProjectId,
        // Optional with a default: the server fills it in, so a client need not send it.
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, format: 'int32', default: 20 })),
        before: Type.Optional(Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_-]+$', description: 'nextCursor of the previous page' }))
      }, { additionalProperties: false }),
      response: { 200: { ...ref(ActionList), headers: { 'Content-Encoding': ContentEncoding } }, ...errorResponses(400, 401, 403) }
    }
  }, async (request) => {
    const { projectId, limit, before } = request.query
    const cursor = before === undefined ? undefined : decodeCursor(before)
    const page = await actions.list(projectId, { limit: limit ?? 20, ...(cursor ? { before: cursor } : {}) })
    const last = page.items.at(-1)
    return {
      projectId,
      items: page.items,
      ...(page.more && last ? { nextCursor: Buffer.from(`${last.createdAt}|${last.id}`).toString('base64url') } : {})
    }
  })
}

function decodeCursor (cursor: string) {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  const createdAt = new Date(at ?? '')
  if (Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id ?? '')) {
    throw new AppError('VALIDATION_FAILED', 'before is not a cursor this service gave out', { details: [{ path: '/before', in: 'querystring', message: 'invalid cursor' }] })
  }
  return { createdAt, id: id! }
}

export default integrationActionsRoutes
