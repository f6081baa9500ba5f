import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { ref } from './common.js'
import { Action } from './action.js'
import { StatusEnvelope } from './integration-status.js'

/** Event ids: per project, strictly increasing, decimal. */
export const EventId = Type.String({ pattern: '^(0|[1-9][0-9]{0,14})$', maxLength: 15, description: 'An event id from this project\'s stream' })

export const ReadyEvent = Type.Object({
  position: Type.Integer({ minimum: 0, description: 'The project\'s current event position' }),
  resumedFrom: Type.Optional(Type.Integer({ minimum: 0, description: 'The id the client resumed after, when it sent one' }))
}, { $id: 'ReadyEvent', additionalProperties: false, description: 'The first message of every stream' })
export type ReadyEvent = Static<typeof ReadyEvent>

export const ResetEvent = Type.Object({
  position: Type.Integer({ minimum: 0, description: 'Stream from here after fetching the status again' }),
  reason: Type.Union([
    Type.Literal('expired'), Type.Literal('too_far_behind'), Type.Literal('unknown_position')
  ], { description: 'expired: the id is older than the retention; too_far_behind: more events than one replay holds; unknown_position: an id this project never had' })
}, { $id: 'ResetEvent', additionalProperties: false, description: 'The requested position cannot be replayed: fetch GET /api/integrations/status again' })
export type ResetEvent = Static<typeof ResetEvent>

/**
 * One message of the event stream, as a client sees it after parsing: the SSE `event:` name, the
 * `id:` and the JSON of the `data:` line. One named component per event type, so generated
 * clients get a union they can switch on (`event` is the discriminator).
 */
function streamMessage<T extends TSchema> (event: string, data: T, id: 'always' | 'optional', description: string) {
  const Id = { ...EventId, description: 'The SSE id: (strictly increasing per project); a reconnect sends the last one as Last-Event-ID' }
  return Type.Object({
    event: Type.Literal(event),
    id: id === 'always' ? Id : Type.Optional(Id),
    retry: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000, format: 'int32', description: 'The reconnection delay hint (ms)' })),
    data: ref(data)
  }, { $id: `${event[0]!.toUpperCase()}${event.slice(1)}StreamEvent`, additionalProperties: false, description })
}

export const ReadyStreamEvent = streamMessage('ready', ReadyEvent, 'optional',
  'Always the first message, with `retry:`; carries `id:` (the current position) when the client sent no resume id')
export const StatusStreamEvent = streamMessage('status', StatusEnvelope, 'always',
  'The envelope as this caller\'s role sees it, sent when that view\'s hash changes')
export const ActionStreamEvent = streamMessage('action', Action, 'always',
  'Every state change and progress report of an action of the project')
export const ResetStreamEvent = streamMessage('reset', ResetEvent, 'always',
  'The resume id cannot be replayed: fetch the status again, then follow the stream from `data.position`')

/** The stream's messages: each SSE event name with the component of its data. */
export const STREAM_EVENTS = { ready: ReadyStreamEvent, status: StatusStreamEvent, action: ActionStreamEvent, reset: ResetStreamEvent }

export const StreamEvent = Type.Unsafe<Static<typeof ReadyStreamEvent> | Static<typeof StatusStreamEvent> | Static<typeof ActionStreamEvent> | Static<typeof ResetStreamEvent>>({
  $id: 'StreamEvent',
  description: 'One message of GET /api/integrations/events; `event` tells which',
  oneOf: Object.values(STREAM_EVENTS).map((schema) => Type.Ref(schema.$id!)),
  discriminator: {
    propertyName: 'event',
    mapping: Object.fromEntries(Object.entries(STREAM_EVENTS).map(([name, schema]) => [name, `#/components/schemas/${schema.$id!}`]))
  }
})
export type StreamEvent = Static<typeof StreamEvent>
