import type { components } from './openapi.js'

type Schemas = components['schemas']

/**
 * The events of `GET /api/integrations/events` and the schema of each one's `data` (JSON),
 * named after the components of openapi.yaml. `id:` is the event's position in the project's log.
 */
export interface IntegrationStatusEventMap {
  /** Always first: the current position (and the `retry:` hint). */
  ready: Schemas['ReadyEvent']
  /** The caller's role's envelope, when its hash changes. */
  status: Schemas['StatusEnvelope']
  /** An action of the project at each state change or progress report. */
  action: Schemas['Action']
  /** The resume id could not be replayed: fetch the status again; the stream goes on from `position`. */
  reset: Schemas['ResetEvent']
}

export type IntegrationStatusEventName = keyof IntegrationStatusEventMap

export const EVENT_NAMES: readonly IntegrationStatusEventName[] = ['ready', 'status', 'action', 'reset']

export function isKnownEvent (name: string): name is IntegrationStatusEventName {
  return (EVENT_NAMES as readonly string[]).includes(name)
}
