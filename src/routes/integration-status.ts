import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BEARER_OR_COOKIE, NO_NUL, ProjectId, errorResponses, ref } from '../schemas/common.js'
import { StatusEnvelope } from '../schemas/integration-status.js'

/** True when an If-None-Match list names the tag, compared weakly (RFC 9110 §13.1.2). */
export function matchesIfNoneMatch (header: string | undefined, etag: string) {
  if (!header) return false
  const opaque = etag.replace(/^W\//, '')
  return header.split(',').some((candidate) => {
    const tag = candidate.trim()
    return tag === '*' || tag.replace(/^W\//, '') === opaque
  })
}

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
  // The aggregator hands back the same envelope while nothing changed: serialize it once.
  const bodies = new WeakMap<StatusEnvelope, string>()

  fastify.get('/api/integrations/status', {
    config: { auth: { roles: 'any' } },
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
          headers: STATUS_HEADERS
        },
        304: Type.Null({ description: 'Not modified: the If-None-Match tag still matches; no body', headers: STATUS_HEADERS }),
        ...errorResponses(400, 401, 403)
      }
    }
  }, async (request, reply) => {
    const { projectId } = request.query
    const user = request.user!
    // authorizeProject has already checked that the caller holds a role on this project.
    const role = user.roles[projectId]!
    // Read before the snapshot is built: the snapshot then reflects every event up to it.
    const position = await fastify.events.snapshotPosition(projectId)
    if (position !== undefined) reply.header('events-position', String(position))
    const envelope = await fastify.aggregator.status(projectId, { userId: user.sub, role }, request.log)
    const etag = `W/"${envelope.hash}"`
    // Per caller: a shared cache must not hand one user's view to another.
    reply.header('etag', etag).header('cache-control', 'private, no-cache').header('vary', 'Authorization, Cookie')
    // No body at all (not even "null"): a 304 carries only headers.
    if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send(undefined as unknown as null)
    let body = bodies.get(envelope)
    if (body === undefined) {
      // The route's own schema serializer, so the cached text is exactly what it would send.
      body = reply.serialize(envelope) as string
      bodies.set(envelope, body)
    }
    // A JSON content type with a string payload is sent as is, without serializing again.
    return reply.type('application/json; charset=utf-8').send(body as unknown as StatusEnvelope)
  })
}

export default integrationStatusRoutes
