import type { ColumnType, Generated, Selectable } from 'kysely'

/** timestamptz: pg hands back a Date; we write Date or ISO strings. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
/** jsonb columns are written as JSON text (pg would turn a JS array into a PostgreSQL array). */
type Json<T> = ColumnType<T, string, string>
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>

/**
 * A registered provider's key. The set is whatever provider manifests are registered (see
 * src/aggregator/providers.ts), checked at runtime against them and, in the database, against
 * the `providers` table (sql/007_providers.sql); so it is a string here, not a closed union.
 */
export type ProviderKey = string
export type ActionStatus = 'pending' | 'running' | 'succeeded' | 'failed'

export interface ProjectsTable {
  id: string
  team_id: string | null
  created_at: Generated<Date>
  /** The last event id allocated for this project (see sql/004_event_log.sql). */
  event_seq: ColumnType<string, string | number | undefined, string | number>
  status_hashes: ColumnType<Record<string, string>, string | undefined, string>
}

export interface IntegrationEventsTable {
  project_id: string
  /** bigint: pg hands back a string. */
  seq: ColumnType<string, string | number, never>
  type: 'status' | 'action'
  payload: Json<unknown>
  created_at: Generated<Date>
}

export interface ProjectIntegrationsTable {
  project_id: string
  provider: ProviderKey
  config: Json<Record<string, unknown>>
  credentials_encrypted: string | null
  credentials_fingerprint: string | null
  enabled: Generated<boolean>
  hidden_from_roles: ColumnType<string[], string[] | undefined, string[]>
  last_status_check: NullableTimestamp
  status_cache: NullableJson<unknown>
  circuit_breaker_state: NullableJson<unknown>
  last_good_status: NullableJson<unknown>
  cache_expires_at: NullableTimestamp
  created_at: Generated<Date>
  updated_at: Timestamp
}

export interface IntegrationActionsTable {
  id: Generated<string>
  project_id: string
  provider: string
  action: string
  idempotency_key: string
  user_id: string
  request_fingerprint: string
  params: NullableJson<unknown>
  status: ColumnType<ActionStatus, ActionStatus | undefined, ActionStatus>
  progress: NullableJson<unknown>
  result: NullableJson<unknown>
  error: NullableJson<unknown>
  created_at: Generated<Date>
  updated_at: Timestamp
  completed_at: NullableTimestamp
  role: ColumnType<string, string | undefined, string>
  mode: ColumnType<'inline' | 'host', 'inline' | 'host' | undefined, 'inline' | 'host'>
  attempts: ColumnType<number, number | undefined, number>
  claimed_by: string | null
  lease_until: NullableTimestamp
}

export interface ActionIdempotencyKeysTable {
  project_id: string
  user_id: string
  idempotency_key: string
  request_fingerprint: string
  action_id: string | null
  created_at: Generated<Date>
  /** The request holding the claim (instance and request ids); null for claims older than leases. */
  claimed_by: ColumnType<string | null, string | null | undefined, string | null>
  /** Until when the claim holds while action_id is null; then another request may take it over. */
  lease_until: Timestamp
}

export interface OAuthStatesTable {
  nonce: string
  action_id: string | null
  project_id: string
  user_id: string
  provider: ProviderKey
  config: Json<Record<string, unknown>>
  expires_at: ColumnType<Date, Date | string, Date | string>
  used_at: NullableTimestamp
  created_at: Generated<Date>
}

export interface WebhookDeliveriesTable {
  provider: string
  delivery_id: string
  received_at: Generated<Date>
  claimed_by: ColumnType<string | null, string | null | undefined, string | null>
  /** Until when the handler holds the delivery; a redelivery after it (unhandled) is handled again. */
  lease_until: NullableTimestamp
  /** Set once the delivery's refreshes are done; null while it is being handled. */
  handled_at: NullableTimestamp
}

export interface IntegrationActionTransitionsTable {
  id: Generated<string>
  action_id: string
  status: string
  progress: NullableJson<unknown>
  at: Generated<Date>
}

export interface RolloutOverridesTable {
  scope: 'project' | 'team'
  /** The project id or the team id. */
  subject: string
  enabled: boolean
  updated_by: string
  updated_at: Timestamp
}

export interface ProvidersTable {
  key: string
}

export interface SchemaMigrationsTable {
  name: string
  checksum: string
  applied_at: Generated<Date>
}

/** Every table the service uses; Kysely checks each query against it. */
export interface Database {
  projects: ProjectsTable
  project_integrations: ProjectIntegrationsTable
  integration_actions: IntegrationActionsTable
  action_idempotency_keys: ActionIdempotencyKeysTable
  integration_action_transitions: IntegrationActionTransitionsTable
  oauth_states: OAuthStatesTable
  webhook_deliveries: WebhookDeliveriesTable
  integration_events: IntegrationEventsTable
  rollout_overrides: RolloutOverridesTable
  providers: ProvidersTable
  schema_migrations: SchemaMigrationsTable
}

export type IntegrationRow = Selectable<ProjectIntegrationsTable>
export type ActionRow = Selectable<IntegrationActionsTable>
