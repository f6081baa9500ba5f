import fp from 'fastify-plugin'
import { sql, type Kysely } from 'kysely'
import type { FastifyInstance } from 'fastify'
import type { Database } from '../db/database.js'
import type { RolloutOverride, RolloutState } from '../schemas/rollout.js'
import { createRules, type RolloutConfig } from './rules.js'
import { keepSubscribed } from '../backends/keep-subscribed.js'
import { setBounded } from '../lib/bounded-map.js'

/** Pub/sub channel on which every instance hears of override changes (payload: `project:<id>` or `team:<id>`). */
export const ROLLOUT_CHANGED_CHANNEL = 'rollout-changed'

export type OverrideScope = 'project' | 'team'

/** How long an instance trusts its copy of a project's or a team's rules; changes announce themselves sooner. */
const RULES_TTL_MS = 5_000
const MAX_ENTRIES = 10_000

interface ProjectFacts {
  team: string | undefined
  override: boolean | undefined
}

/**
 * Per-instance copies that expire. Each entry holds the promise of its read, so concurrent
 * requests share one query, and `forget` during a read makes the next request read again (a read
 * that started before a change can never be stored after it).
 */
function createCopies<T> (read: (key: string) => Promise<T>, now: () => number, ttlMs: number) {
  const entries = new Map<string, { at: number, value: Promise<T> }>()
  return {
    get (key: string): Promise<T> {
      const hit = entries.get(key)
      if (hit && now() - hit.at < ttlMs) return hit.value
      const entry = { at: now(), value: read(key) }
      setBounded(entries, key, entry, MAX_ENTRIES)
      // A failed read is not kept: the next request tries again.
      entry.value.catch(() => { if (entries.get(key) === entry) entries.delete(key) })
      return entry.value
    },
    forget (key: string) {
      entries.delete(key)
    },
    clear () {
      entries.clear()
    }
  }
}

export interface RolloutOptions {
  /** Monotonic milliseconds for the copies' age; tests move it by hand. */
  now?: () => number
  ttlMs?: number
}

/**
 * The rollout flag: configured rules (fixed at boot) plus runtime overrides in PostgreSQL, which
 * win. A project's team is `projects.team_id` when set, else the caller's `team` claim; the claim
 * is never written back (see README, "Rollout").
 */
export function createRollout (db: Kysely<Database>, config: RolloutConfig, { now = () => performance.now(), ttlMs = RULES_TTL_MS }: RolloutOptions = {}) {
  const decide = createRules(config)
  const listeners: Array<(message: string) => void> = []

  // One round trip: the project's team and its override.
  const projects = createCopies<ProjectFacts>(async (projectId) => {
    const row = await db.selectNoFrom((eb) => [
      eb.selectFrom('projects').select('team_id').where('id', '=', projectId).as('team'),
      eb.selectFrom('rollout_overrides').select('enabled').where('scope', '=', 'project').where('subject', '=', projectId).as('override')
    ]).executeTakeFirstOrThrow()
    return { team: row.team || undefined, override: row.override ?? undefined }
  }, now, ttlMs)

  const teams = createCopies<boolean | undefined>(async (team) => {
    const row = await db.selectFrom('rollout_overrides').select('enabled')
      .where('scope', '=', 'team').where('subject', '=', team).executeTakeFirst()
    return row?.enabled
  }, now, ttlMs)

  const forget = (message: string) => {
    const at = message.indexOf(':')
    const scope = message.slice(0, at)
    const subject = message.slice(at + 1)
    if (scope === 'project') projects.forget(subject)
    else if (scope === 'team') teams.forget(subject)
    else {
      // Not a message this version sends: forget everything rather than keep something stale.
      projects.clear()
      teams.clear()
    }
  }

  const changed = (scope: OverrideScope, subject: string) => {
    const message = `${scope}:${subject}`
    forget(message)
    for (const listener of listeners) listener(message)
  }

  return {
    /** Called synchronously after every change made through this instance, with the channel message. */
    onChange (listener: (message: string) => void) {
      listeners.push(listener)
    },

    /** Drops this instance's copy named by a `rollout-changed` message. */
    forget,

    /** Whether the project has the rollout, for a caller whose token carries `callerTeam`. */
    async evaluate (projectId: string, callerTeam?: string): Promise<RolloutState> {
      const project = await projects.get(projectId)
      // An empty claim names no team.
      const team = project.team ?? (callerTeam || undefined)
      // A project override decides alone: its team's override need not be read.
      const teamOverride = project.override === undefined && team !== undefined ? await teams.get(team) : undefined
      const decision = decide({ projectId, team, projectOverride: project.override, teamOverride })
      return { projectId, ...decision, ...(team === undefined ? {} : { team }) }
    },

    /** Creates or replaces an override; `created` tells which. */
    async setOverride (scope: OverrideScope, subject: string, enabled: boolean, userId: string) {
      const values = { enabled, updated_by: userId, updated_at: sql<Date>`now()` }
      return db.insertInto('rollout_overrides')
        .values({ scope, subject, ...values })
        .onConflict((oc) => oc.columns(['scope', 'subject']).doUpdateSet(values))
        // xmax is 0 only for a freshly inserted row: tells create (201) from replace (200).
        .returningAll().returning(sql<boolean>`(xmax = 0)`.as('inserted'))
        .executeTakeFirstOrThrow()
        .then((row) => ({ override: toOverride(row), created: row.inserted }))
        // Announced even when the outcome is unknown (a connection lost after commit): a needless
        // re-read costs one query, a missed one a stale answer for the TTL.
        .finally(() => changed(scope, subject))
    },

    /** Removes an override; false when there was none. */
    async removeOverride (scope: OverrideScope, subject: string) {
      return db.deleteFrom('rollout_overrides').where('scope', '=', scope).where('subject', '=', subject)
        .executeTakeFirst()
        .then((result) => result.numDeletedRows > 0n)
        .finally(() => changed(scope, subject))
    }
  }
}

function toOverride (row: { scope: OverrideScope, subject: string, enabled: boolean, updated_by: string, updated_at: Date }): RolloutOverride {
  return { scope: row.scope, subject: row.subject, enabled: row.enabled, updatedBy: row.updated_by, updatedAt: row.updated_at.toISOString() }
}

declare module 'fastify' {
  interface FastifyInstance {
    rollout: ReturnType<typeof createRollout>
  }
}

export default fp(async function rolloutPlugin (fastify: FastifyInstance) {
  const { rollout: config } = fastify.config
  const rollout = createRollout(fastify.db, config)
  fastify.decorate('rollout', rollout)
  if (!config.defaultEnabled && config.percent === 100) {
    fastify.log.warn('ROLLOUT_DEFAULT=false decides only for projects with no known team: with ROLLOUT_PERCENT=100 every team is enabled')
  }

  // Other instances keep short copies of the rules; tell them to drop theirs.
  rollout.onChange((message) => {
    fastify.backends.pubsub.publish(ROLLOUT_CHANGED_CHANNEL, message)
      .catch((error: unknown) => fastify.log.warn({ err: error, message }, 'could not announce a rollout change'))
  })
  keepSubscribed(fastify, ROLLOUT_CHANGED_CHANNEL, (message) => rollout.forget(message), 'rollout changes')
}, { name: 'rollout', dependencies: ['config', 'db', 'backends'], fastify: '5.x' })
