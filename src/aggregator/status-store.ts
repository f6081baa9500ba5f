import type { Kysely } from 'kysely'
import type { Database, ProviderKey } from '../db/database.js'
import type { CacheBackend } from '../backends/types.js'
import type { CheckResult } from '../provider-kit/manifest.js'
import type { ProblemCode } from '../provider-kit/failure.js'
import { storableJson } from '../lib/storable.js'
import { setBounded } from '../lib/bounded-map.js'

/**
 * One (project, provider) status as the aggregator keeps it: the last good result and, when
 * the latest check failed, that failure. The cache backend (Redis or memory) holds it for every
 * instance; PostgreSQL holds a copy so a restart or a Redis flush still has something to serve.
 */
export interface StatusEntry {
  /** Unique per check result: what responses built from it are remembered by. */
  id?: string
  /** Digest of the link's config and credentials: a relinked integration ignores older entries. */
  linkVersion: string
  good?: { result: CheckResult, at: number }
  failure?: {
    code: ProblemCode
    /** As the provider reported it when the failure was seen (rate limits). */
    retryAfter?: number
    at: number
    /** When this kind of failure began; rate limits turn amber after two minutes of it. */
    since: number
    /** The circuit was open, so the provider was not called. */
    circuitOpen?: boolean
  }
  checkedAt: number
  /** Served as fresh until then; later it is served stale while a refresh runs. */
  freshUntil: number
  /** A rate-limited provider is not called before then. */
  retryNotBefore?: number
  /** When PostgreSQL last got a copy; unchanged entries are written at most once a minute. */
  persistedAt?: number
}

/** Entries outlive their freshness by far: stale data beats no data (stale-while-revalidate). */
const CACHE_RETENTION_MS = 24 * 60 * 60 * 1000
const PERSIST_UNCHANGED_EVERY_MS = 60_000

/**
 * How long an instance reuses an entry it read from the cache backend without asking again. The
 * warm path then does no I/O at all; another instance's refresh shows here at most this late.
 */
export const LOCAL_COPY_MS = 1_000
/** A copy this close to its end is read again (see read). */
const RENEW_AHEAD_MS = 100

export const cacheKey = (projectId: string, provider: ProviderKey) => `status:${projectId}:${provider}`

/** `connected` false = the cache backend is down: skipped at once, PostgreSQL answers instead. */
export function createStatusStore (cache: CacheBackend, db: Kysely<Database>, connected: () => boolean, maxLocalCopies: number) {
  const local = new Map<string, { entry: StatusEntry, until: number }>()
  /**
   * One cache read per key at a time: when a copy expires under load, every request in flight
   * would otherwise ask the cache backend for the same entry at once.
   */
  const reading = new Map<string, Promise<StatusEntry | undefined>>()

  function remember (key: string, entry: StatusEntry) {
    setBounded(local, key, { entry, until: performance.now() + LOCAL_COPY_MS }, maxLocalCopies)
  }

  async function fetchEntry (key: string) {
    const started = performance.now()
    const entry = await cache.get<StatusEntry>(key)
    // A write landed while we read: its copy is newer than what we got.
    const copy = local.get(key)
    if (copy && copy.until - LOCAL_COPY_MS > started) return copy.entry
    if (entry) remember(key, entry)
    else local.delete(key)
    return entry
  }

  function readJoined (key: string) {
    let running = reading.get(key)
    if (!running) {
      running = fetchEntry(key).finally(() => { reading.delete(key) })
      reading.set(key, running)
    }
    return running
  }

  return {
    /**
     * The entry, from this instance's short copy when it has one. `shared: true` asks the cache
     * backend itself: single flight needs what other instances wrote a moment ago.
     */
    async read (projectId: string, provider: ProviderKey, { shared = false } = {}) {
      const key = cacheKey(projectId, provider)
      if (!shared) {
        const copy = local.get(key)
        const left = copy === undefined ? 0 : copy.until - performance.now()
        if (left > RENEW_AHEAD_MS) return copy!.entry
        // About to expire: renewed with the project's other copies, so a status snapshot built
        // from them (valid until the first expires) lasts a whole LOCAL_COPY_MS, not a moment.
        if (left > 0) return connected() ? await readJoined(key).catch(() => copy!.entry) : copy!.entry
      }
      if (!connected()) return undefined
      // Shared reads must see writes made after the caller asked, so they never join an older read.
      return await (shared ? fetchEntry(key) : readJoined(key))
    },

    /** Drops this instance's copies of a project's entries: another instance stored newer ones. */
    forget (projectId: string, providers: readonly ProviderKey[]) {
      for (const provider of providers) {
        const key = cacheKey(projectId, provider)
        local.delete(key)
        reading.delete(key)
      }
    },

    /** Until when (performance.now()) this instance's copy of the entry is reused; 0 without one. */
    copyUntil (projectId: string, provider: ProviderKey) {
      return local.get(cacheKey(projectId, provider))?.until ?? 0
    },

    /**
     * Writes the entry to the cache, and to PostgreSQL when it differs from the previous one in
     * what it shows or the copy there is over a minute old. Returns the entry as stored.
     */
    async write (projectId: string, provider: ProviderKey, entry: StatusEntry, previous: StatusEntry | undefined) {
      const changed = !previous || shownPart(previous) !== shownPart(entry)
      const due = changed || previous?.persistedAt === undefined || entry.checkedAt - previous.persistedAt >= PERSIST_UNCHANGED_EVERY_MS
      const stored: StatusEntry = { ...entry, ...(due ? { persistedAt: entry.checkedAt } : previous?.persistedAt === undefined ? {} : { persistedAt: previous.persistedAt }) }
      // Both copies are attempted: with the cache backend down, PostgreSQL's copy still serves.
      const [cached, persisted] = await Promise.allSettled([
        connected() ? cache.set(cacheKey(projectId, provider), stored, CACHE_RETENTION_MS) : undefined,
        due
          ? db.updateTable('project_integrations')
            .set({
              last_status_check: new Date(entry.checkedAt),
              cache_expires_at: new Date(entry.freshUntil),
              status_cache: storableJson(stored),
              ...(entry.good ? { last_good_status: storableJson(entry.good) } : {})
            })
            .where('project_id', '=', projectId).where('provider', '=', provider)
            .execute()
          : undefined
      ])
      remember(cacheKey(projectId, provider), stored)
      if (cached.status === 'rejected') throw cached.reason
      if (persisted.status === 'rejected') throw persisted.reason
      return stored
    },

    /**
     * PostgreSQL's copy, for when the cache backend has nothing (flushed, restarted, unreachable):
     * status_cache, else last_good_status; only if it belongs to the current link.
     */
    async readPersisted (projectId: string, provider: ProviderKey, linkVersion: string): Promise<StatusEntry | undefined> {
      const row = await db.selectFrom('project_integrations').select(['status_cache', 'last_good_status'])
        .where('project_id', '=', projectId).where('provider', '=', provider).executeTakeFirst()
      const entry = row?.status_cache as StatusEntry | null | undefined
      if (entry && typeof entry === 'object' && entry.linkVersion === linkVersion) return entry
      const good = row?.last_good_status as StatusEntry['good'] | null | undefined
      if (good && typeof good === 'object' && good.result && row?.status_cache == null) {
        return { linkVersion, good, checkedAt: good.at, freshUntil: 0 }
      }
      return undefined
    }
  }
}

export type StatusStore = ReturnType<typeof createStatusStore>

function shownPart (entry: StatusEntry) {
  const { good, failure } = entry
  return JSON.stringify([good?.result, failure?.code, failure?.circuitOpen, entry.linkVersion])
}
