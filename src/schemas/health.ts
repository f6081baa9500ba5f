import { Type } from '@sinclair/typebox'

const Check = Type.Object({ ok: Type.Boolean(), latencyMs: Type.Number(), error: Type.Optional(Type.String()) })
const JwksCheck = Type.Object({
  ok: Type.Boolean({ description: 'The last fetch of the identity provider\'s JWKS worked' }),
  keys: Type.Integer({ description: 'Keys held (still used while fetches fail)' }),
  error: Type.Optional(Type.String())
}, { description: 'Only with AUTH_JWKS_URL. A failing fetch alone keeps the instance ready (the keys held still work); never having had the keys does not' })
export const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready'), Type.Literal('draining')], {
    description: 'draining: the instance is shutting down (503 from the first moment, so balancers stop sending new work)'
  }),
  checks: Type.Object({
    database: Check,
    backends: Check,
    jwks: Type.Optional(JwksCheck)
  })
}, { $id: 'Readiness' })
