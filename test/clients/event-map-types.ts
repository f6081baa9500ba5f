// Compile-time checks (npm run typecheck): subscribe()'s handlers get each event's data type,
// whether openapi.yaml names the data schemas only or also the StreamEvent message union.
import type { IntegrationStatusEventMap, Schemas } from '../../clients/typescript/src/index.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false

export const eventTypes: [
  Equal<keyof IntegrationStatusEventMap, 'ready' | 'status' | 'action' | 'reset'>,
  Equal<IntegrationStatusEventMap['ready'], Schemas['ReadyEvent']>,
  Equal<IntegrationStatusEventMap['status'], Schemas['StatusEnvelope']>,
  Equal<IntegrationStatusEventMap['action'], Schemas['Action']>,
  Equal<IntegrationStatusEventMap['reset'], Schemas['ResetEvent']>
] = [true, true, true, true, true]
