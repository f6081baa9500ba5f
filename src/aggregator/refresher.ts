import type { FastifyBaseLogger } from 'fastify'
import type { LockBackend } from '../backends/types.js'
import type { StatusStore, StatusEntry } from './status-store.js'
import type { LinkView } from './links-view.js'
import { settledWithin } from '../lib/settled-within.js'

/** How long close() waits for checks in flight (they are redone by any instance). */
const CLOSE_WAIT_MS = 1_000

export interface RefresherOptions {
  store: StatusStore
  locks: LockBackend
  /** False while the lock backend is down: then single flight holds per instance only. */
  locksConnected (): boolean
  log: FastifyBaseLogger
  now: () => number
  /** Lease on a (project, provider) refresh; outlives the longest check so a crash frees it. */
  lockTtlMs: number
  /** How long an instance that lost the race waits for the winner's result. */
  waitMs: number
  check (projectId: string, link: LinkView, previous: StatusEntry | undefined, userId: string | undefined): Promise<StatusEntry>
  /** A new check result was stored for every instance to read. */
  onStored? (projectId: string, provider: LinkView['provider']): void
}

const POLL_MS = 25

/**
 * Single flight for provider checks: one check per (project, provider) at a time in this process
 * (a shared promise), and across instances (a lease in the lock backend). An instance that does
 * not get the lease waits for the holder's result in the cache instead of calling the provider.
 */
export function createRefresher ({ store, locks, locksConnected, log, now, lockTtlMs, waitMs, check, onStored }: RefresherOptions) {
  const inflight = new Map<string, Promise<StatusEntry>>()
  const startedAt = new Map<string, number>()
  let closed = false

  async function run (projectId: string, link: LinkView, userId: string | undefined, force: boolean): Promise<StatusEntry> {
    const provider = link.provider
    const startedAt = now()
    let lease
    try {
      lease = locksConnected() ? await locks.tryAcquire(`refresh:${projectId}:${provider}`, lockTtlMs) : undefined
    } catch (error) {
      // Without the lock backend, single flight holds per instance only; better than no status.
      log.warn({ err: error, projectId, provider }, 'refresh lock unavailable; checking without it')
      lease = undefined
    }
    if (lease === null) return waitForOther(projectId, link, startedAt)
    try {
      const previous = await store.read(projectId, provider, { shared: true }).catch(() => undefined)
      const fromCache = previous?.linkVersion === link.version
      const current = fromCache
        ? previous
        : await store.readPersisted(projectId, provider, link.version).catch(() => undefined)
      // Another instance may have refreshed between our read and our lease; a rate limit holds for all.
      if (current && ((current.retryNotBefore ?? 0) > now() || (!force && now() < current.freshUntil))) {
        // PostgreSQL's copy is still good: put it back into the cache rather than call the provider.
        if (!fromCache) await store.write(projectId, provider, current, current).catch(() => {})
        return current
      }
      const entry = await check(projectId, link, current, userId)
      if (closed) return entry
      try {
        const stored = await store.write(projectId, provider, entry, previous)
        onStored?.(projectId, provider)
        return stored
      } catch (error) {
        log.warn({ err: error, projectId, provider }, 'could not store status')
        return entry
      }
    } finally {
      await lease?.release().catch(() => {})
    }
  }

  async function waitForOther (projectId: string, link: LinkView, startedAt: number) {
    const until = performance.now() + waitMs
    // eslint-disable-next-line no-unmodified-loop-condition -- close() sets it while we sleep
    while (!closed && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      const entry = await store.read(projectId, link.provider, { shared: true }).catch(() => undefined)
      if (entry?.linkVersion === link.version && entry.checkedAt >= startedAt) return entry
    }
    throw new Error('another instance is still checking')
  }

  return {
    refresh (projectId: string, link: LinkView, userId: string | undefined, { force = false } = {}) {
      const key = `${projectId}:${link.provider}`
      let running = inflight.get(key)
      if (!running) {
        running = run(projectId, link, userId, force).finally(() => {
          inflight.delete(key)
          startedAt.delete(key)
        })
        inflight.set(key, running)
        startedAt.set(key, performance.now())
      }
      return running
    },

    /** How long this instance's check of (project, provider) has been running; undefined if none. */
    runningFor (projectId: string, provider: string) {
      const started = startedAt.get(`${projectId}:${provider}`)
      return started === undefined ? undefined : performance.now() - started
    },

    /** Lets checks in flight finish for a moment; a provider holding its answer back must not hold shutdown up. */
    async close () {
      closed = true
      await settledWithin(inflight.values(), CLOSE_WAIT_MS)
    }
  }
}
