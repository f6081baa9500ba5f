import { sql, type Kysely, type Transaction } from 'kysely'
import type { ActionRow, Database, ProviderKey } from '../db/database.js'
import type { EventLog, LoggedEvent } from '../events/event-log.js'
import type { Role } from '../schemas/common.js'
import type { Action } from '../schemas/action.js'
import { AppError } from '../errors.js'
import { storableJson } from '../lib/storable.js'

/** Idempotency keys are honoured this long (IETF draft: the server says how long). */
export const IDEMPOTENCY_TTL_HOURS = 24

export interface NewAction {
  projectId: string
  userId: string
  role: Role
  provider: ProviderKey
  action: string
  params: Record<string, unknown>
  mode: 'inline' | 'host'
  idempotencyKey: string
  fingerprint: string
}

/** The key is this request's to fill (`holder` fences it), or it names an action already stored. */
export type KeyClaim = { kind: 'claimed', holder: string } | Replay
export interface Replay { kind: 'replay', action: Action }

const inFlight = () => new AppError('IDEMPOTENCY_REQUEST_IN_FLIGHT', undefined, { headers: { 'retry-after': '1' } })

const iso = (date: Date | null) => (date ? date.toISOString() : undefined)

export function toAction (row: ActionRow): Action {
  return {
    id: row.id,
    projectId: row.project_id,
    provider: row.provider as ProviderKey,
    action: row.action,
    params: shownParams(row.params),
    status: row.status,
    mode: row.mode,
    attempts: row.attempts,
    ...(row.progress ? { progress: row.progress as Record<string, unknown> } : {}),
    ...(row.result ? { result: row.result as Record<string, unknown> } : {}),
    ...(row.error ? { error: row.error as { code: string, message: string } } : {}),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...(row.completed_at ? { completedAt: iso(row.completed_at)! } : {})
  }
}

/** Secrets sent in params (a token) are stored sealed and never shown back. */
function shownParams (params: unknown) {
  const shown = { ...(params ?? {}) as Record<string, unknown> }
  if ('token' in shown) shown.token = '***'
  return shown
}

/** Project rows are locked for event ids in one order, so two multi-row changes cannot deadlock. */
const byProject = (rows: ActionRow[]) => [...rows].sort((a, b) => a.project_id.localeCompare(b.project_id, 'en'))

export interface ActionEvents {
  log: EventLog
  /** Tells every instance's streams about an event that has committed. */
  announce (event: LoggedEvent): void
}

/**
 * The actions table and its idempotency keys. PostgreSQL decides every race: the key's primary
 * key between concurrent requests, `FOR UPDATE SKIP LOCKED` between workers, the lease columns
 * between a live worker and a dead one. Every state change is written with its transition and
 * its event in one transaction, so the event stream can never miss or invent one.
 */
export function createActionStore (db: Kysely<Database>, events: ActionEvents) {
  /** Records a changed row's transition and event; returns the event to announce after commit. */
  async function record (trx: Transaction<Database>, row: ActionRow, progress?: Record<string, unknown>) {
    await trx.insertInto('integration_action_transitions')
      .values({ action_id: row.id, status: row.status, ...(progress ? { progress: storableJson(progress) } : {}) })
      .execute()
    return events.log.appendAction(trx, toAction(row))
  }

  /** Runs a change, then announces the events it committed. */
  async function change<T> (work: (trx: Transaction<Database>, emitted: LoggedEvent[]) => Promise<T>): Promise<T> {
    const emitted: LoggedEvent[] = []
    const result = await db.transaction().execute((trx) => work(trx, emitted))
    for (const event of emitted) events.announce(event)
    return result
  }

  /** One row's change: the update, its transition and its event, or nothing when no row matched. */
  async function changeOne (update: (trx: Transaction<Database>) => Promise<ActionRow | undefined>, progress?: Record<string, unknown>) {
    const row = await change(async (trx, emitted) => {
      const updated = await update(trx)
      if (updated) emitted.push(await record(trx, updated, progress))
      return updated
    })
    return row ? toAction(row) : undefined
  }

  async function keyRow (projectId: string, userId: string, key: string) {
    return db.selectFrom('action_idempotency_keys').selectAll()
      .where('project_id', '=', projectId).where('user_id', '=', userId).where('idempotency_key', '=', key)
      .executeTakeFirst()
  }

  /** What an existing key means for a request with this fingerprint (throws 422 or 409). */
  async function interpret (row: NonNullable<Awaited<ReturnType<typeof keyRow>>>, fingerprint: string): Promise<Replay> {
    if (row.request_fingerprint !== fingerprint) throw new AppError('IDEMPOTENCY_KEY_REUSED')
    if (row.action_id === null) throw inFlight()
    const action = await get(row.action_id)
    if (!action) throw inFlight()
    return { kind: 'replay', action }
  }

  async function get (id: string) {
    const row = await db.selectFrom('integration_actions').selectAll().where('id', '=', id).executeTakeFirst()
    return row ? toAction(row) : undefined
  }

  return {
    get,
    toAction,

    /**
     * Takes the key for this request, or says what an earlier request with it means. The claim
     * commits on its own, so a duplicate arriving before the action is stored sees it (409), and
     * it is a lease: `holder` holds it until `leaseMs` from now. A claim whose lease ran out with no
     * action (its request died) is taken over by the next request with the same fingerprint, in
     * one conditional UPDATE: of two racing retries PostgreSQL's row lock lets exactly one match.
     */
    async claimKey (projectId: string, userId: string, key: string, fingerprint: string, holder: string, leaseMs: number): Promise<KeyClaim> {
      const lease = sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`
      await db.deleteFrom('action_idempotency_keys')
        .where('project_id', '=', projectId).where('user_id', '=', userId).where('idempotency_key', '=', key)
        .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`)
        .execute()
      const claimed = await db.insertInto('action_idempotency_keys')
        .values({ project_id: projectId, user_id: userId, idempotency_key: key, request_fingerprint: fingerprint, claimed_by: holder, lease_until: lease })
        .onConflict((oc) => oc.doNothing())
        .returning('project_id')
        .executeTakeFirst()
      if (claimed) return { kind: 'claimed', holder }
      const row = await keyRow(projectId, userId, key)
      // Released between our insert and our read: the caller may simply retry.
      if (!row) throw inFlight()
      if (row.request_fingerprint === fingerprint && row.action_id === null) {
        // Taken over only if expired, by the database's clock (instances' clocks may differ).
        const taken = await db.updateTable('action_idempotency_keys')
          .set({ claimed_by: holder, lease_until: lease })
          .where('project_id', '=', projectId).where('user_id', '=', userId).where('idempotency_key', '=', key)
          .where('action_id', 'is', null).where('request_fingerprint', '=', fingerprint)
          .where('lease_until', '<', sql<Date>`now()`)
          .returning('project_id')
          .executeTakeFirst()
        if (taken) return { kind: 'claimed', holder }
        // The claim is alive, or a racing retry took it over (and may have stored its action since).
        return interpret(await keyRow(projectId, userId, key) ?? row, fingerprint)
      }
      return interpret(row, fingerprint)
    },

    /**
     * Stores the action for a claimed key, with its first transition, in one transaction; only
     * while `holder` still holds the claim (a request so slow that its claim was taken over must
     * not store a second action). Otherwise it answers as a retry would: the replay, or 409.
     */
    async create (input: NewAction, holder: string): Promise<Replay | { kind: 'created', action: Action }> {
      const { projectId, userId, idempotencyKey: key, fingerprint } = input
      const row = await change(async (trx, emitted) => {
        // The key row first: its lock orders us against a takeover, and says whether we still hold it.
        const held = await trx.updateTable('action_idempotency_keys').set({ claimed_by: holder })
          .where('project_id', '=', projectId).where('user_id', '=', userId).where('idempotency_key', '=', key)
          .where('claimed_by', '=', holder).where('action_id', 'is', null)
          .returning('project_id')
          .executeTakeFirst()
        if (!held) return undefined
        await trx.insertInto('projects').values({ id: projectId, team_id: null }).onConflict((oc) => oc.column('id').doNothing()).execute()
        const inserted = await trx.insertInto('integration_actions').values({
          project_id: projectId,
          provider: input.provider,
          action: input.action,
          params: JSON.stringify(input.params),
          idempotency_key: key,
          user_id: userId,
          role: input.role,
          mode: input.mode,
          request_fingerprint: fingerprint,
          updated_at: new Date()
        }).returningAll().executeTakeFirstOrThrow()
        emitted.push(await record(trx, inserted))
        await trx.updateTable('action_idempotency_keys').set({ action_id: inserted.id })
          .where('project_id', '=', projectId).where('user_id', '=', userId).where('idempotency_key', '=', key)
          .execute()
        return inserted
      })
      if (row) return { kind: 'created', action: toAction(row) }
      const current = await keyRow(projectId, userId, key)
      if (!current) throw inFlight()
      return interpret(current, fingerprint)
    },

    /** Frees a key whose request was refused after it was claimed (e.g. by the rate limit), if still ours. */
    async release (projectId: string, userId: string, key: string, holder: string) {
      await db.deleteFrom('action_idempotency_keys')
        .where('project_id', '=', projectId).where('user_id', '=', userId).where('idempotency_key', '=', key)
        .where('claimed_by', '=', holder).where('action_id', 'is', null).execute()
    },

    async list (projectId: string, { limit, before }: { limit: number, before?: { createdAt: Date, id: string } }) {
      let query = db.selectFrom('integration_actions').selectAll().where('project_id', '=', projectId)
      if (before) {
        query = query.where((eb) => eb.or([
          eb('created_at', '<', before.createdAt),
          eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)])
        ]))
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
      return { items: rows.slice(0, limit).map(toAction), more: rows.length > limit }
    },

    /**
     * Takes up to `limit` actions of a mode for one worker: pending ones, and running ones whose
     * worker's lease ran out (it died). SKIP LOCKED: two instances never take the same row.
     */
    async claim (mode: 'inline' | 'host', worker: string, limit: number, leaseMs: number) {
      return change(async (trx, emitted) => {
        const { rows } = await sql<ActionRow>`
        UPDATE integration_actions SET
          status = 'running', attempts = attempts + 1, claimed_by = ${worker},
          lease_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
        WHERE id IN (
          SELECT id FROM integration_actions
          WHERE mode = ${mode} AND (status = 'pending' OR (status = 'running' AND lease_until < now()))
          ORDER BY created_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        )
        RETURNING *`.execute(trx)
        for (const row of byProject(rows)) emitted.push(await record(trx, row))
        return rows
      })
    },

    /** Progress from the worker that holds the action; extends its lease. false if it does not hold it. */
    async progress (id: string, worker: string, progress: Record<string, unknown>, leaseMs: number) {
      return changeOne((trx) => trx.updateTable('integration_actions')
        .set({ progress: storableJson(progress), updated_at: new Date(), lease_until: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})` })
        .where('id', '=', id).where('status', '=', 'running').where('claimed_by', '=', worker)
        .returningAll().executeTakeFirst(), progress)
    },

    /**
     * Ends this worker's lease now (shutdown): another instance takes the action over at its next
     * poll, as it would after a crash, without waiting for the lease to run out.
     */
    async handBack (id: string, worker: string) {
      await db.updateTable('integration_actions')
        .set({ lease_until: sql<Date>`now() - interval '1 millisecond'` })
        .where('id', '=', id).where('status', '=', 'running').where('claimed_by', '=', worker)
        .execute()
    },

    /** Actions pending or running (the backlog), for the actions_pending gauge. */
    async backlog () {
      const row = await db.selectFrom('integration_actions').select((eb) => eb.fn.countAll<string>().as('count'))
        .where('status', 'in', ['pending', 'running']).executeTakeFirstOrThrow()
      return Number(row.count)
    },

    /** Keeps a running action's lease alive without recording anything. */
    async renew (id: string, worker: string, leaseMs: number) {
      await db.updateTable('integration_actions')
        .set({ lease_until: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})` })
        .where('id', '=', id).where('status', '=', 'running').where('claimed_by', '=', worker)
        .execute()
    },

    /** Ends the action; only its current holder may (a worker whose lease ran out may not). */
    async complete (id: string, worker: string | null, outcome: { status: 'succeeded', result: Record<string, unknown> } | { status: 'failed', error: { code: string, message: string } }) {
      return changeOne((trx) => {
        let query = trx.updateTable('integration_actions')
          .set({
            status: outcome.status,
            ...(outcome.status === 'succeeded' ? { result: storableJson(outcome.result) } : { error: storableJson(outcome.error) }),
            updated_at: new Date(),
            completed_at: new Date(),
            lease_until: null
          })
          .where('id', '=', id).where('status', 'in', ['pending', 'running'])
        if (worker !== null) query = query.where('claimed_by', '=', worker)
        return query.returningAll().executeTakeFirst()
      })
    },

    /** Pending actions nobody took in time (e.g. no host worker runs): failed, never pending forever. */
    async expirePending (olderThanMs: number) {
      const rows = await change(async (trx, emitted) => {
        const expired = await trx.updateTable('integration_actions')
          .set({
            status: 'failed',
            error: JSON.stringify({ code: 'not_claimed', message: 'No worker took this action in time' }),
            updated_at: new Date(),
            completed_at: new Date()
          })
          .where('status', '=', 'pending')
          .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
          .returningAll().execute()
        for (const row of byProject(expired)) emitted.push(await record(trx, row))
        return expired
      })
      return rows.map(toAction)
    },

    /** Keys older than the idempotency window are forgotten (their actions stay). */
    async pruneKeys () {
      await db.deleteFrom('action_idempotency_keys')
        .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`)
        .execute()
    }
  }
}

export type ActionStore = ReturnType<typeof createActionStore>
