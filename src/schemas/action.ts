import { Type, type Static } from '@sinclair/typebox'
import { NO_NUL, ProjectId, Timestamp, ref } from './common.js'
import { ProviderKeyRef } from './integration-link.js'

export const ActionStatus = Type.Union(
  [Type.Literal('pending'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')],
  { $id: 'ActionStatus' }
)

const JsonObject = Type.Record(Type.String(), Type.Unknown())

export const Action = Type.Object({
  id: Type.String({ format: 'uuid' }),
  projectId: ProjectId,
  provider: ProviderKeyRef,
  action: Type.String({ description: 'An id from the integration\'s actions[] in the status' }),
  params: JsonObject,
  status: ref(ActionStatus),
  mode: Type.Union([Type.Literal('inline'), Type.Literal('host')], {
    description: 'inline: run by this service; host: queued for the host workspace\'s worker'
  }),
  attempts: Type.Integer({ minimum: 0 }),
  progress: Type.Optional(JsonObject),
  result: Type.Optional(JsonObject),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  completedAt: Type.Optional(Timestamp)
}, { $id: 'Action' })

export const PostActionBody = Type.Object({
  projectId: ProjectId,
  provider: ProviderKeyRef,
  action: Type.String({ minLength: 1, maxLength: 64, pattern: NO_NUL }),
  params: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 20 }))
}, { $id: 'PostActionBody', additionalProperties: false })

export const ActionList = Type.Object({
  projectId: ProjectId,
  items: Type.Array(ref(Action), { description: 'Newest first' }),
  nextCursor: Type.Optional(Type.String({ description: 'Pass as `before` for the next page' }))
}, { $id: 'ActionList' })

// Canonical name: Fastify lower-cases header schemas for validation, the document keeps it as written.
export const IdempotencyHeaders = Type.Object({
  'Idempotency-Key': Type.String({
    maxLength: 36,
    format: 'uuid',
    description: 'A fresh UUID per intended action (IETF draft "The Idempotency-Key HTTP Header Field"); kept 24 h'
  })
})

export type Action = Static<typeof Action>
export type PostActionBody = Static<typeof PostActionBody>
