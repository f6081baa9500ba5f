import { Type, type Static } from '@sinclair/typebox'
import { ProjectId, Timestamp, ref } from './common.js'
import { ProviderKeyRef } from './integration-link.js'
import { PROBLEM_CODES } from '../provider-kit/failure.js'

// The plan's API contract, field for field. Route code builds these; the status issue fills them.

export const StatusValue = Type.Union(
  [Type.Literal('connected'), Type.Literal('warning'), Type.Literal('error'), Type.Literal('disconnected')],
  { $id: 'StatusValue', description: 'Worst first: error > warning > connected > disconnected' }
)

/**
 * Stable machine codes of what is wrong with an integration (docs/ui.md lists them with their
 * titles). `unknown` is an error answer or an unusable body from the provider.
 */

export const ProblemCodeSchema = Type.Union(PROBLEM_CODES.map((code) => Type.Literal(code)), { $id: 'ProblemCode', description: 'Stable; new codes may be added' })

export const IntegrationProblem = Type.Object({
  code: ref(ProblemCodeSchema),
  title: Type.String({ description: 'Human title for the code, e.g. "Webhook disabled"' }),
  hint: Type.Optional(Type.String({ description: 'What to do about it, worded for the caller\'s role' })),
  retryAfter: Type.Optional(Type.Integer({ minimum: 0, description: 'Seconds, for rate limits' }))
}, { $id: 'IntegrationProblem' })

export const IntegrationAction = Type.Object({
  id: Type.String(),
  label: Type.String(),
  can: Type.Boolean(),
  reason: Type.Optional(Type.String({ description: 'Why the caller cannot run it' }))
}, { $id: 'IntegrationAction' })

export const IntegrationEnvironment = Type.Object({
  name: Type.String({ description: "'preview', 'production' or a custom environment" }),
  status: ref(StatusValue),
  summary: Type.Optional(Type.String()),
  url: Type.Optional(Type.String()),
  lastDeployAt: Type.Optional(Timestamp)
}, { $id: 'IntegrationEnvironment' })

export const IntegrationStatus = Type.Object({
  key: ProviderKeyRef,
  label: Type.String({ description: 'The provider\'s display name, from its manifest' }),
  configured: Type.Boolean(),
  configuredReason: Type.Optional(Type.Union([
    Type.Literal('not_linked'), Type.Literal('revoked'), Type.Literal('disabled'), Type.Literal('hidden_by_policy')
  ])),
  visible: Type.Boolean({ description: 'After permission filtering' }),
  status: ref(StatusValue),
  summary: Type.Optional(Type.String()),
  updatedAt: Timestamp,
  stale: Type.Optional(Type.Boolean({ description: 'Served from cache or an open circuit' })),
  problem: Type.Optional(ref(IntegrationProblem)),
  actions: Type.Optional(Type.Array(ref(IntegrationAction))),
  environments: Type.Optional(Type.Array(ref(IntegrationEnvironment)))
}, { $id: 'IntegrationStatus' })

export const StatusEnvelope = Type.Object({
  projectId: ProjectId,
  items: Type.Array(ref(IntegrationStatus), { description: 'Always every provider the service knows, in the order GET /api/providers lists them' }),
  hash: Type.String({ description: 'Stable over sorted items with transient fields stripped' }),
  renderHash: Type.String({ description: 'Also covers updatedAt, for UI invalidation' }),
  overall: ref(StatusValue)
}, { $id: 'StatusEnvelope' })

export type StatusValue = Static<typeof StatusValue>
export type ProblemCode = Static<typeof ProblemCodeSchema>
export type IntegrationStatus = Static<typeof IntegrationStatus>
export type StatusEnvelope = Static<typeof StatusEnvelope>
