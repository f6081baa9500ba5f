import { Type, type Static } from '@sinclair/typebox'

/** Event ids: per project, strictly increasing, decimal. */
export const EventId = Type.String({ pattern: '^(0|[1-9][0-9]{0,14})$', description: 'An event id from this project\'s stream' })

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
