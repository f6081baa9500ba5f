import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../db/database.js'
import type { Role } from '../schemas/common.js'
import type { StatusEnvelope } from '../schemas/integration-status.js'
import type { Action } from '../schemas/action.js'
import { storableJson } from '../lib/storable.js'

/** A status event holds the envelope of each role whose caller-visible hash changed. */
export interface StatusPayload { roles: Partial<Record<Role, StatusEnvelope>> }

export type LoggedEvent =
  | { projectId: string, seq: number, type: 'status', payload: StatusPayload, createdAt: string }
  | { projectId: string, seq: number, type: 'action', payload: Action, createdAt: string }

type Executor = Kysely<Database> | Transaction<Database>

interface EventRow { project_id: string, seq: string, type: string, payload: unknown, created_at: Date }

function toEvent (row: EventRow): LoggedEvent {
  return { projectId: row.project_id, seq: Number(row.seq), type: row.type, payload: row.payload, createdAt: row.created_at.toISOString() } as LoggedEvent
}

/**
 * The per-project event log in PostgreSQL (sql/004_event_log.sql explains why ids come from the
 * project row). Writers call `append` inside their own transaction, so an action's state change
 * and its event commit together or not at all.
 */
export function createEventLog (db: Kysely<Database>) {
  /** The next id of the project; holds the project row's lock until the transaction ends. */
  async function nextSeq (trx: Executor, projectId: string) {
    const { rows } = await sql<{ event_seq: string }>`
      INSERT INTO projects (id, team_id, event_seq) VALUES (${projectId}, NULL, 1)
      ON CONFLICT (id) DO UPDATE SET event_seq = projects.event_seq + 1
      RETURNING event_seq`.execute(trx)
    return Number(rows[0]!.event_seq)
  }

  async function insert (trx: Executor, projectId: string, seq: number, type: LoggedEvent['type'], payload: unknown) {
    const row = await trx.insertInto('integration_events')
      .values({ project_id: projectId, seq, type, payload: storableJson(payload) })
      .returning(['project_id', 'seq', 'type', 'payload', 'created_at'])
      .executeTakeFirstOrThrow()
    return toEvent(row)
  }

  return {
    /** Writes an action event in the caller's transaction; announce it after the commit. */
    async appendAction (trx: Transaction<Database>, action: Action) {
      return insert(trx, action.projectId, await nextSeq(trx, action.projectId), 'action', action)
    },

    /**
     * Writes a status event holding the envelopes of the roles whose hash differs from the last
     * one published; undefined (and nothing written) when no role's view changed.
     */
    async appendStatus (projectId: string, envelopes: Partial<Record<Role, StatusEnvelope>>) {
      return db.transaction().execute(async (trx) => {
        await trx.insertInto('projects').values({ id: projectId, team_id: null }).onConflict((oc) => oc.column('id').doNothing()).execute()
        const project = await trx.selectFrom('projects').select('status_hashes').where('id', '=', projectId).forUpdate().executeTakeFirstOrThrow()
        const published = project.status_hashes ?? {}
        const changed: Partial<Record<Role, StatusEnvelope>> = {}
        for (const [role, envelope] of Object.entries(envelopes) as Array<[Role, StatusEnvelope]>) {
          if (published[role] !== envelope.hash) changed[role] = envelope
        }
        if (Object.keys(changed).length === 0) return undefined
        const hashes = { ...published, ...Object.fromEntries(Object.entries(changed).map(([role, e]) => [role, e.hash])) }
        await trx.updateTable('projects').set({ status_hashes: JSON.stringify(hashes) }).where('id', '=', projectId).execute()
        const seq = await nextSeq(trx, projectId)
        return insert(trx, projectId, seq, 'status', { roles: changed } satisfies StatusPayload)
      })
    },

    /** Up to `limit` events after `after`, in id order. */
    async after (projectId: string, after: number, limit: number) {
      const rows = await db.selectFrom('integration_events').select(['project_id', 'seq', 'type', 'payload', 'created_at'])
        .where('project_id', '=', projectId).where('seq', '>', String(after) as never)
        .orderBy('seq').limit(limit).execute()
      return rows.map(toEvent)
    },

    /** The last id allocated for the project (0 before its first event). */
    async head (projectId: string) {
      const row = await db.selectFrom('projects').select('event_seq').where('id', '=', projectId).executeTakeFirst()
      return row ? Number(row.event_seq) : 0
    },

    /**
     * A position to stream from after taking a status snapshot now: the newest event at least
     * `marginMs` old. Reads of the status may come from copies up to a second old, so a position
     * any newer could name an event the snapshot does not reflect yet; an older position only
     * replays a few events the client already has, which is harmless.
     */
    async snapshotPosition (projectId: string, marginMs: number) {
      const { rows } = await sql<{ position: string | null }>`
        SELECT coalesce(
          (SELECT seq FROM integration_events
            WHERE project_id = ${projectId} AND created_at < clock_timestamp() - make_interval(secs => ${marginMs / 1000})
            ORDER BY seq DESC LIMIT 1),
          (SELECT min(seq) - 1 FROM integration_events WHERE project_id = ${projectId}),
          (SELECT event_seq FROM projects WHERE id = ${projectId}),
          0) AS position`.execute(db)
      return Number(rows[0]?.position ?? 0)
    },

    /** Deletes events older than the retention; returns how many went. */
    async prune (retentionMs: number) {
      const result = await db.deleteFrom('integration_events')
        .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${retentionMs / 1000})`)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    }
  }
}

export type EventLog = ReturnType<typeof createEventLog>
