import { Type } from '@sinclair/typebox'
import { ref, Role, Timestamp } from './common.js'

export const Session = Type.Object({
  sub: Type.String(),
  roles: Type.Record(Type.String(), ref(Role)),
  team: Type.Optional(Type.String()),
  via: Type.Union([Type.Literal('bearer'), Type.Literal('cookie')]),
  expiresAt: Timestamp,
  csrfToken: Type.Optional(Type.String({ description: 'Send as X-CSRF-Token on cookie-authenticated writes' }))
}, { $id: 'Session' })
