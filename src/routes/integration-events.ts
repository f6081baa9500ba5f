import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BEARER_OR_COOKIE, ProjectId, errorResponses, ref } from '../schemas/common.js'
import { EventId, STREAM_EVENTS, StreamEvent } from '../schemas/events.js'
import { negotiateEncoding } from '../events/sse-connection.js'

const DESCRIPTION = `A Server-Sent Events stream of the project's changes. Every event has an \`id:\`, strictly increasing per project.

- \`ready\` ([ReadyStreamEvent](#/components/schemas/ReadyStreamEvent), data [ReadyEvent](#/components/schemas/ReadyEvent)): always the first message, with the current position (and \`retry:\`). Without a resume id it carries \`id: <position>\`.
- \`status\` ([StatusStreamEvent](#/components/schemas/StatusStreamEvent), data [StatusEnvelope](#/components/schemas/StatusEnvelope)): the envelope as this caller's role sees it, sent when that view's \`hash\` changes.
- \`action\` ([ActionStreamEvent](#/components/schemas/ActionStreamEvent), data [Action](#/components/schemas/Action)): every state change and progress report of an action of the project.
- \`reset\` ([ResetStreamEvent](#/components/schemas/ResetStreamEvent), data [ResetEvent](#/components/schemas/ResetEvent)): the resume id cannot be replayed (older than the retention, more than the replay cap, or unknown): fetch the status again.

**Typed events.** OpenAPI 3.1 has no field for the items of a stream. The \`text/event-stream\` schema is the [StreamEvent](#/components/schemas/StreamEvent) union (\`oneOf\`, discriminated by \`event\`): the shape of *one* message once parsed (\`event\`, \`id\`, \`retry\`, and \`data\` = the JSON of its \`data:\` line), as OpenAPI 3.2's \`itemSchema\` would say; \`x-sse-events\` maps each event name to its message component for tools that read it.
- \`:hb\` comments keep the connection alive (SSE_HEARTBEAT_MS).

**No race between snapshot and stream:** \`GET /api/integrations/status\` answers an \`Events-Position\` header; open the stream with \`Last-Event-ID\` (or \`?lastEventId=\`) set to it. A reconnecting \`EventSource\` sends its last id itself and receives every event after it, then live ones, none twice.
Compressed (gzip, deflate) when accepted, flushed after every event. When the instance shuts down the stream ends after a \`retry:\` hint; reconnecting resumes elsewhere with nothing lost.`

const integrationEventsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/integrations/events', {
    config: { auth: { roles: 'any' } },
    schema: {
      tags: ['events'],
      operationId: 'streamIntegrationEvents',
      summary: 'Live status and action events of a project (Server-Sent Events)',
      description: DESCRIPTION,
      security: BEARER_OR_COOKIE,
      querystring: Type.Object({
        projectId: ProjectId,
        lastEventId: Type.Optional({ ...EventId, description: 'Resume after this id, for clients that cannot set Last-Event-ID' })
      }, { additionalProperties: false }),
      headers: Type.Object({
        // Canonical name: Fastify lower-cases header schemas for validation, the document keeps it as written.
        'Last-Event-ID': Type.Optional({ ...EventId, description: 'Resume after this id (sent by EventSource on reconnect); wins over ?lastEventId' })
      }),
      response: {
        200: {
          description: 'The event stream (`text/event-stream`), open until the client leaves or the instance shuts down',
          content: {
            'text/event-stream': {
              schema: ref(StreamEvent),
              'x-sse-events': Object.fromEntries(Object.entries(STREAM_EVENTS).map(([name, schema]) => [name, { $ref: `#/components/schemas/${schema.$id!}` }]))
            }
          },
          headers: {
            'Cache-Control': Type.Literal('no-store, no-transform', { description: 'Proxies must neither store, buffer nor re-encode the stream' }),
            'X-Accel-Buffering': Type.Literal('no', { description: 'nginx must not buffer the stream' }),
            'Content-Encoding': Type.Union([Type.Literal('gzip'), Type.Literal('deflate')], { description: 'When the request\'s Accept-Encoding allows it' })
          }
        },
        ...errorResponses(400, 401, 403, 503)
      }
    }
  }, async (request, reply) => {
    const { projectId, lastEventId: fromQuery } = request.query
    const user = request.user!
    const resumeFrom = request.headers['last-event-id'] ?? fromQuery
    await fastify.events.stream(reply, {
      projectId,
      // authorizeProject has already checked that the caller holds a role on this project.
      role: user.roles[projectId]!,
      ...(resumeFrom === undefined ? {} : { lastEventId: Number(resumeFrom) }),
      ...(user.expiresAt ? { expiresAt: user.expiresAt } : {}),
      ...withEncoding(negotiateEncoding(request.headers['accept-encoding']))
    })
  })
}

const withEncoding = (encoding: ReturnType<typeof negotiateEncoding>) => (encoding ? { encoding } : {})

export default integrationEventsRoutes
