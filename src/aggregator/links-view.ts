import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, ProviderKey } from '../db/database.js'
import type { Role } from '../schemas/common.js'
import type { PersistedBreaker } from './resilience.js'

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
const MAX_PROJECTS = 10_000

/**
 * Reads a project's links with one query and keeps them briefly in process: the status route's
 * warm path then touches only the cache backend. Link changes on any instance are announced on
 * pub/sub (see aggregator.ts), and each instance drops its copy at once.
 */
export function createLinksView (db: Kysely<Database>) {
  // Real time, not the injectable clock: tests that fix the clock must still see link changes.
  const now = () => performance.now()
  const cached = new Map<string, { at: number, value: ProjectLinks }>()

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
        value = await read(projectId)
      } catch (error) {
        // PostgreSQL unreachable: the last copy is still the best answer (statuses come from the
        // cache backend), so the status route keeps serving through a database outage.
        if (hit) return hit.value
        throw error
      }
      if (cached.size >= MAX_PROJECTS) cached.delete(cached.keys().next().value!)
      cached.set(projectId, { at: now(), value })
      return value
    },
    forget (projectId: string) {
      cached.delete(projectId)
    }
  }
}
