import { ErrorBody, Role } from './common.js'
import { Readiness } from './health.js'
import { Session } from './session.js'
import { IntegrationLinkList, PatchIntegrationLinkBody } from './integration-link.js'
import { ProviderInfo, ProviderList } from './providers.js'
import { Action, ActionList, ActionStatus, PostActionBody } from './action.js'
import { ReadyEvent, ResetEvent, STREAM_EVENTS, StreamEvent } from './events.js'
import { PutRolloutOverrideBody, RolloutOverride, RolloutSource, RolloutState } from './rollout.js'
import {
  IntegrationAction, IntegrationEnvironment, IntegrationProblem, IntegrationStatus, ProblemCodeSchema, StatusEnvelope, StatusValue
} from './integration-status.js'

/**
 * Every schema with an $id, registered once (before routes) and published as OpenAPI components.
 * Those that depend on the provider set (ProviderKey, the link configs, PutIntegrationLinkBody,
 * IntegrationLink) come from the registered manifests: plugins/provider-schemas.ts.
 */
export const SHARED_SCHEMAS = [
  ErrorBody, Role, Session, Readiness,
  PatchIntegrationLinkBody, IntegrationLinkList,
  StatusValue, ProblemCodeSchema, IntegrationProblem, IntegrationAction, IntegrationEnvironment, IntegrationStatus, StatusEnvelope,
  ActionStatus, Action, PostActionBody, ActionList, ReadyEvent, ResetEvent, ...Object.values(STREAM_EVENTS), StreamEvent,
  RolloutSource, RolloutState, PutRolloutOverrideBody, RolloutOverride, ProviderInfo, ProviderList
]
