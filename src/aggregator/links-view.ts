import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, ProviderKey } from '../db/database.js'
import type { Role } from '../schemas/common.js'
import type { PersistedBreaker } from './resilience.js'
import { setBounded } from '../lib/bounded-map.js'

/** A link as the aggregator needs it: no ciphertext, plus the status copies kept in PostgreSQL. */
export interface LinkView {
  provider: ProviderKey
  config: Record<string, unknown>
  enabled: boolean
  hiddenFromRoles: Role[]
  /** Changes when the config or the credentials change; cached statuses carry it. */
  version: string
  updatedAt: number
  breaker: PersistedBreaker | null
}

export interface ProjectLinks {
  /** When the project row was created; epoch 0 for a project nobody linked yet. */
  since: number
  links: Map<ProviderKey, LinkView>
}

/** How long an instance trusts its copy of a project's links; changes announce themselves sooner. */
const LINKS_TTL_MS = 5_000

/**
 * Reads a project's links with one query and keeps them briefly in process: the status route's
 * warm path then touches only the cache backend. Link changes on any instance are announced on
 * pub/sub (see aggregator.ts), and each instance drops its copy at once.
 */
export function createLinksView (db: Kysely<Database>, maxProjects: number) {
  // Real time, not the injectable clock: tests that fix the clock must still see link changes.
  const now = () => performance.now()
  const cached = new Map<string, { at: number, value: ProjectLinks }>()
  /** One query per project at a time; a forget() makes later callers start a new one. */
  const reading = new Map<string, Promise<ProjectLinks>>()
  /** When each project was last forgotten: a query begun before that must not be kept. */
  const forgotten = new Map<string, number>()

  async function readAndKeep (projectId: string) {
    const started = now()
    const value = await read(projectId)
    if ((forgotten.get(projectId) ?? -Infinity) < started) {
      setBounded(cached, projectId, { at: started, value }, maxProjects)
    }
    return value
  }

  function readJoined (projectId: string) {
    let running = reading.get(projectId)
    if (!running) {
      const started = readAndKeep(projectId).finally(() => { if (reading.get(projectId) === started) reading.delete(projectId) })
      running = started
      reading.set(projectId, running)
    }
    return running
  }

  async function read (projectId: string): Promise<ProjectLinks> {
    const rows = await db.selectFrom('projects as p')
      .leftJoin('project_integrations as i', 'i.project_id', 'p.id')
      .select([
        'p.created_at as project_created_at', 'i.provider', 'i.config', 'i.enabled', 'i.hidden_from_roles',
        'i.credentials_fingerprint', 'i.updated_at', 'i.circuit_breaker_state'
      ])
      .where('p.id', '=', projectId)
      .execute()
    const links = new Map<ProviderKey, LinkView>()
    for (const row of rows) {
      if (!row.provider) continue
      const config = (row.config ?? {}) as Record<string, unknown>
      const version = createHash('sha256').update(JSON.stringify(config)).update(row.credentials_fingerprint ?? '').digest('hex').slice(0, 16)
      links.set(row.provider, {
        provider: row.provider,
        config,
        enabled: row.enabled ?? true,
        hiddenFromRoles: (row.hidden_from_roles ?? []) as Role[],
        version,
        updatedAt: row.updated_at?.getTime() ?? 0,
        breaker: (row.circuit_breaker_state ?? null) as PersistedBreaker | null
      })
    }
    return { since: rows[0]?.project_created_at.getTime() ?? 0, links }
  }

  return {
    /** `fresh` reads past the copy's TTL (the copy still answers if PostgreSQL cannot). */
    async get (projectId: string, { fresh = false }: { fresh?: boolean } = {}): Promise<ProjectLinks> {
      const hit = cached.get(projectId)
      if (hit && !fresh && now() - hit.at < LINKS_TTL_MS) return hit.value
      let value: ProjectLinks
      try {
        // A fresh read must see changes made after the caller asked, so it never joins an older one.
        value = await (fresh ? readAndKeep(projectId) : readJoined(projectId))
      } catch (error) {
        // PostgreSQL unreachable: the last copy is still the best answer (statuses come from the
        // cache backend), so the status route keeps serving through a database outage.
        if (hit) return hit.value
        throw error
      }
      return value
    },

    /** Until when (performance.now()) the project's copy is reused; 0 without one. */
    copyUntil (projectId: string) {
      const hit = cached.get(projectId)
      return hit ? hit.at + LINKS_TTL_MS : 0
    },

    forget (projectId: string) {
      cached.delete(projectId)
      reading.delete(projectId)
      setBounded(forgotten, projectId, now(), maxProjects)
    }
  }
}
