import { ErrorBody, Role } from './common.js'
import { Readiness } from './health.js'
import { Session } from './session.js'
import {
  GithubLinkConfig, IntegrationLink, IntegrationLinkList, PatchIntegrationLinkBody, ProviderKeySchema,
  PUT_LINK_BODIES, SanityLinkConfig, SupabaseLinkConfig, VercelLinkConfig
} from './integration-link.js'
import { Action, ActionList, ActionStatus, PostActionBody } from './action.js'
import { ReadyEvent, ResetEvent, STREAM_EVENTS, StreamEvent } from './events.js'
import { PutRolloutOverrideBody, RolloutOverride, RolloutSource, RolloutState } from './rollout.js'
import {
  IntegrationAction, IntegrationEnvironment, IntegrationProblem, IntegrationStatus, StatusEnvelope, StatusValue
} from './integration-status.js'

/** Every schema with an $id, registered once (before routes) and published as OpenAPI components. */
export const SHARED_SCHEMAS = [
  ErrorBody, Role, ProviderKeySchema, Session, Readiness,
  GithubLinkConfig, VercelLinkConfig, SanityLinkConfig, SupabaseLinkConfig,
  ...Object.values(PUT_LINK_BODIES), PatchIntegrationLinkBody, IntegrationLink, IntegrationLinkList,
  StatusValue, IntegrationProblem, IntegrationAction, IntegrationEnvironment, IntegrationStatus, StatusEnvelope,
  ActionStatus, Action, PostActionBody, ActionList, ReadyEvent, ResetEvent, ...Object.values(STREAM_EVENTS), StreamEvent,
  RolloutSource, RolloutState, PutRolloutOverrideBody, RolloutOverride
]
