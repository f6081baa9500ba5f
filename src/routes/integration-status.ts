import { Type } from '@sinclair/typebox'
import type { FastifyBaseLogger } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BEARER_OR_COOKIE, NO_NUL, ProjectId, errorResponses, ref } from '../schemas/common.js'
import { StatusEnvelope } from '../schemas/integration-status.js'
import type { Role } from '../schemas/common.js'
import { createSnapshotCache } from '../aggregator/snapshot-cache.js'
import { EncodedBody, sendAnswer, type StatusAnswer } from './status-answer.js'

export { matchesIfNoneMatch } from './status-answer.js'

/** On the 200 and on the 304: a client revalidating still learns where the event stream stands. */
const STATUS_HEADERS = {
  ETag: Type.String({ maxLength: 100, pattern: '^W/"[A-Za-z0-9_-]+"$', description: 'W/"<hash>" of what this caller sees' }),
  'Cache-Control': Type.Literal('private, no-cache', { description: 'Per caller; revalidate every time' }),
  'Events-Position': Type.Integer({
    minimum: 0,
    maximum: 999_999_999_999_999,
    format: 'int64',
    description: 'Open GET /api/integrations/events with this as Last-Event-ID to receive every change after this snapshot'
  })
}

const integrationStatusRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { aggregator, events } = fastify
  // The aggregator hands back the same envelope while nothing changed: serialize (and compress) it once.
  const bodies = new WeakMap<StatusEnvelope, EncodedBody>()
  const snapshots = createSnapshotCache<StatusAnswer>({ maxEntries: fastify.config.status.maxSnapshots, clock: aggregator.now, registry: fastify.metrics.registry })
  // Every change this instance learns of (checks stored on any instance, links changed) ends the project's snapshots.
  const unsubscribe = aggregator.onInvalidate((projectId) => snapshots.invalidate(projectId))
  fastify.addHook('onClose', async () => { unsubscribe() })

  /** One (project, role) answer: the reads and the work a warm request no longer does. */
  async function buildAnswer (projectId: string, userId: string, role: Role, log: FastifyBaseLogger, serialize: (envelope: StatusEnvelope) => string): Promise<StatusAnswer> {
    // Read before the envelope is built: the envelope then reflects every event up to it.
    const position = await events.snapshotPosition(projectId)
    const { envelope, until, clockUntil } = await aggregator.view(projectId, { userId, role }, log)
    let body = bodies.get(envelope)
    if (body === undefined) {
      body = new EncodedBody(Buffer.from(serialize(envelope)))
      bodies.set(envelope, body)
    }
    return { etag: `W/"${envelope.hash}"`, position: position === undefined ? undefined : String(position), body, until, clockUntil }
  }

  fastify.get('/api/integrations/status', {
    // Compressed once per snapshot here: @fastify/compress, where registered, must leave it alone.
    config: { auth: { roles: 'any' }, compress: false },
    schema: {
      tags: ['status'],
      operationId: 'getIntegrationStatus',
      summary: 'The project\'s integrations as the caller may see them',
      description: [
        'Always all four integrations, in a stable order. Answers within the status deadline whatever the providers do:',
        'a provider that is slow, failing or rate limiting shows its last known status with `stale: true` and a `problem`.',
        'The `ETag` is `W/"<hash>"`, computed over what this caller sees; send it in `If-None-Match` to get 304 while nothing changed.'
      ].join(' '),
      security: BEARER_OR_COOKIE,
      querystring: Type.Object({ projectId: ProjectId }, { additionalProperties: false }),
      headers: Type.Object({
        'If-None-Match': Type.Optional(Type.String({ maxLength: 8192, pattern: NO_NUL, description: 'An ETag of an earlier answer (or a list of them): 304 while it still matches' }))
      }),
      response: {
        200: {
          ...ref(StatusEnvelope),
          description: 'The envelope; the ETag is the hash of what this caller sees',
          // A plain map: @fastify/swagger turns each property into a documented response header.
          headers: {
            ...STATUS_HEADERS,
            'Content-Encoding': Type.Union([Type.Literal('br'), Type.Literal('gzip')], { description: 'When the request\'s Accept-Encoding prefers it (q-values honoured); identity otherwise' })
          }
        },
        304: Type.Null({ description: 'Not modified: the If-None-Match tag still matches; no body', headers: STATUS_HEADERS }),
        ...errorResponses(400, 401, 403)
      }
    }
  }, function (request, reply) {
    const { projectId } = request.query
    const user = request.user!
    // authorizeProject has already checked that the caller holds a role on this project.
    const role = user.roles[projectId]!
    const ready = snapshots.get(projectId, role)
    // Warm: answered from the snapshot without awaiting anything.
    if (ready) {
      sendAnswer(reply, ready, request.headers)
      return
    }
    // The route's own schema serializer, so the kept text is exactly what it would send.
    const serialize = (envelope: StatusEnvelope) => reply.serialize(envelope) as string
    return snapshots.build(projectId, role, () => buildAnswer(projectId, user.sub, role, request.log, serialize))
      .then((answer) => sendAnswer(reply, answer, request.headers))
  })
}

export default integrationStatusRoutes
