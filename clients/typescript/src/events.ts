import type { components } from './openapi.js'

type Schemas = components['schemas']

/** A union of stream-message components (`{ event: 'x', data: … }`), keyed by their event name. */
type ByEventName<Message> = {
  [M in Message as M extends { event: infer Name extends string } ? Name : never]: M extends { data: infer Data } ? Data : never
}

/** The events as named before the contract typed its stream messages: each `data` by its schema. */
interface NamedDataSchemas {
  /** Always first: the current position (and the `retry:` hint). */
  ready: Schemas['ReadyEvent']
  /** The caller's role's envelope, when its hash changes. */
  status: Schemas['StatusEnvelope']
  /** An action of the project at each state change or progress report. */
  action: Schemas['Action']
  /** The resume id could not be replayed: fetch the status again; the stream goes on from `position`. */
  reset: Schemas['ResetEvent']
}

/**
 * The events of `GET /api/integrations/events` and the type of each one's `data` (JSON). When
 * openapi.yaml has the `StreamEvent` union (one component per message, discriminated by
 * `event`), the map is read from it, so a regenerated client follows the contract; otherwise
 * from the data schemas by name. `id:` is the event's position in the project's log.
 */
export type IntegrationStatusEventMap = Schemas extends { StreamEvent: infer Message } ? ByEventName<Message> : NamedDataSchemas

export type IntegrationStatusEventName = keyof IntegrationStatusEventMap

export const EVENT_NAMES: readonly IntegrationStatusEventName[] = ['ready', 'status', 'action', 'reset']

export function isKnownEvent (name: string): name is IntegrationStatusEventName {
  return (EVENT_NAMES as readonly string[]).includes(name)
}
