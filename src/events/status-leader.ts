import type { FastifyBaseLogger } from 'fastify'
import type { Lease, LockBackend } from '../backends/types.js'
import type { Role } from '../schemas/common.js'
import type { StatusEnvelope } from '../schemas/integration-status.js'
import type { LoggedEvent } from './event-log.js'

export interface StatusLeaderOptions {
  locks: LockBackend
  logger: FastifyBaseLogger
  /** How often the leader refreshes due integrations and looks for changes; the lease is 3 ticks. */
  tickMs: number
  /** Flap damping: at most one status event per project per this interval. */
  minIntervalMs: number
  roles: readonly Role[]
  snapshot (projectId: string, roles: readonly Role[]): Promise<Partial<Record<Role, StatusEnvelope>>>
  refreshDue (projectId: string): Promise<void>
  /** Writes a status event when some role's hash changed; undefined when none did. */
  append (projectId: string, envelopes: Partial<Record<Role, StatusEnvelope>>): Promise<LoggedEvent | undefined>
  announce (event: LoggedEvent): void
}

/** Checks finishing together (one per provider) become one event rather than four. */
const COALESCE_MS = 50

interface Watched {
  projectId: string
  lease?: Lease
  /** Leading without a lease: the lock backend is unreachable. */
  leaseless: boolean
  tick?: NodeJS.Timeout
  scheduled?: NodeJS.Timeout
  running?: Promise<void>
  rerun: boolean
  lastPublishedAt: number
  stopped: boolean
}

/**
 * Status events for watched projects. Of all instances with open streams on a project, the one
 * holding the project's lease leads: it refreshes the integrations whose status is due, and it
 * alone turns "a check was stored" into a status event, reading every role's envelope from the
 * shared cache and publishing only when a hash changed. One writer per project means a slower
 * instance can never publish an older view after a newer one.
 */
export function createStatusLeader (options: StatusLeaderOptions) {
  const { locks, logger, tickMs, minIntervalMs, roles } = options
  const leaseMs = tickMs * 3
  const watched = new Map<string, Watched>()
  let warnedLeaseless = false

  const leads = (w: Watched) => w.lease !== undefined || w.leaseless

  async function holdLease (w: Watched) {
    try {
      if (w.lease) {
        if (await w.lease.extend(leaseMs)) return
        w.lease = undefined
      }
      w.lease = (await locks.tryAcquire(`events:leader:${w.projectId}`, leaseMs)) ?? undefined
      w.leaseless = false
    } catch (error) {
      // No lock backend: every watching instance leads. The log's hash check still keeps
      // duplicates out; only the ordering guarantee between instances is weaker until it is back.
      if (!warnedLeaseless) logger.warn({ err: error }, 'status leader lease unavailable; leading without it')
      warnedLeaseless = true
      w.leaseless = true
    }
    if (w.stopped && w.lease) await w.lease.release().catch(() => {})
  }

  async function tick (w: Watched) {
    await holdLease(w)
    if (w.stopped || !leads(w)) return
    await options.refreshDue(w.projectId).catch((error: unknown) => logger.warn({ err: error, projectId: w.projectId }, 'background refresh failed'))
    // Also catches changes no check announces (a rate limit turning amber with age).
    schedule(w)
  }

  function schedule (w: Watched) {
    if (w.scheduled || w.stopped) return
    const wait = Math.max(COALESCE_MS, w.lastPublishedAt + minIntervalMs - performance.now())
    w.scheduled = setTimeout(() => {
      w.scheduled = undefined
      publish(w)
    }, wait)
    w.scheduled.unref()
  }

  /** One publication at a time per project; a request during one runs once more afterwards. */
  function publish (w: Watched) {
    if (w.running) {
      w.rerun = true
      return
    }
    w.running = (async () => {
      do {
        w.rerun = false
        if (w.stopped || !leads(w)) return
        const envelopes = await options.snapshot(w.projectId, roles)
        const event = await options.append(w.projectId, envelopes)
        if (event) {
          w.lastPublishedAt = performance.now()
          options.announce(event)
        }
      } while (w.rerun)
    })().catch((error: unknown) => {
      logger.warn({ err: error, projectId: w.projectId }, 'could not publish a status event; trying again at the next tick')
    }).finally(() => { w.running = undefined })
  }

  return {
    /** This instance has streams on the project: compete for its lead. */
    watch (projectId: string) {
      if (watched.has(projectId)) return
      const w: Watched = { projectId, leaseless: false, rerun: false, lastPublishedAt: -Infinity, stopped: false }
      watched.set(projectId, w)
      const run = () => { tick(w).catch(() => {}) }
      // At once: a change made while nobody watched is published as soon as someone does.
      run()
      w.tick = setInterval(run, tickMs)
      w.tick.unref()
    },

    unwatch (projectId: string) {
      const w = watched.get(projectId)
      if (!w) return
      watched.delete(projectId)
      w.stopped = true
      clearInterval(w.tick)
      clearTimeout(w.scheduled)
      w.lease?.release().catch(() => {})
    },

    /** A check was stored for the project somewhere: the leader looks for a change. */
    touched (projectId: string) {
      const w = watched.get(projectId)
      if (w && leads(w)) schedule(w)
    },

    /** Whether this instance leads the project (tests, metrics). */
    leading: (projectId: string) => {
      const w = watched.get(projectId)
      return w !== undefined && leads(w)
    },

    async close () {
      const all = [...watched.values()]
      for (const w of all) this.unwatch(w.projectId)
      await Promise.allSettled(all.map((w) => w.running))
    }
  }
}

export type StatusLeader = ReturnType<typeof createStatusLeader>
