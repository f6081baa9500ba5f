import { Type, type Static } from '@sinclair/typebox'
import { NO_NUL, ProjectId, Timestamp, ref } from './common.js'
import { ROLLOUT_SOURCES } from '../rollout/rules.js'

/** A team id as the host workspace names it in the token's `team` claim. */
export const TeamId = Type.String({ minLength: 1, maxLength: 256, pattern: NO_NUL, description: 'Team id, as in the session token\'s `team` claim', examples: ['t_acme'] })

export const RolloutSource = Type.Union(ROLLOUT_SOURCES.map((source) => Type.Literal(source)), {
  $id: 'RolloutSource',
  description: 'The rule that decided, in evaluation order: project override > team override > project allowlist > team allowlist > percentage (when a team is known) > default'
})

export const RolloutState = Type.Object({
  projectId: ProjectId,
  enabled: Type.Boolean({ description: 'Whether this project gets the new integrations UI; when false, render nothing' }),
  source: ref(RolloutSource),
  team: Type.Optional(Type.String({ description: 'The team the rules used: the project\'s, else the caller\'s `team` claim' }))
}, { $id: 'RolloutState' })

export const PutRolloutOverrideBody = Type.Object({
  enabled: Type.Boolean()
}, { $id: 'PutRolloutOverrideBody', additionalProperties: false })

export const RolloutOverride = Type.Object({
  scope: Type.Union([Type.Literal('project'), Type.Literal('team')]),
  subject: Type.String({ description: 'The project id or the team id' }),
  enabled: Type.Boolean(),
  updatedBy: Type.String({ description: 'The `sub` of whoever set it' }),
  updatedAt: Timestamp
}, { $id: 'RolloutOverride', description: 'A runtime override; it wins over the ROLLOUT_* configuration' })

export type RolloutState = Static<typeof RolloutState>
export type RolloutOverride = Static<typeof RolloutOverride>
