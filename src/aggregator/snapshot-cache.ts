import { Counter, Gauge, type Registry } from 'prom-client'
import type { Validity } from './aggregator.js'
import { movesOnHit } from '../lib/bounded-map.js'

interface Flight<T> {
  promise: Promise<T>
  /** The project changed while this was being built: its result answers only those who waited. */
  invalidated: boolean
}

export interface SnapshotCacheOptions {
  /** Most (project, view) snapshots kept; the least recently used project goes first. */
  maxEntries: number
  /** The clock Validity.clockUntil is read against (the aggregator's). */
  clock: () => number
  registry: Registry
}

/**
 * Ready answers per (project, view): served while their inputs are (Validity) and until the
 * project's next change (invalidate), rebuilt once per key however many requests ask at once.
 * Projects are the unit of recency and of invalidation, so both cost one map operation.
 */
export function createSnapshotCache<T extends Validity> ({ maxEntries, clock, registry }: SnapshotCacheOptions) {
  // Per project its views, and the write count when it last moved to the newest end (movesOnHit,
  // RecencyMap's rule: recency by project, size by views, hence an order of its own).
  const ready = new Map<string, { views: Map<string, T>, stamp: number }>()
  const building = new Map<string, Map<string, Flight<T>>>()
  let size = 0
  let writes = 0

  const builds = new Counter({ name: 'status_snapshot_builds_total', help: 'Status snapshots built (each one set of status reads), by outcome (kept, not_reusable, invalidated, failed)', labelNames: ['outcome'] as const, registers: [registry] })
  const outcomes = { kept: builds.labels('kept'), notReusable: builds.labels('not_reusable'), invalidated: builds.labels('invalidated'), failed: builds.labels('failed') }
  new Gauge({ name: 'status_snapshots', help: 'Status snapshots held by this instance', registers: [registry], collect () { this.set(size) } }) // eslint-disable-line no-new

  const valid = (value: T) => value.until > performance.now() && value.clockUntil > clock()

  function drop (projectId: string) {
    const held = ready.get(projectId)
    if (!held) return
    size -= held.views.size
    ready.delete(projectId)
  }

  function keep (projectId: string, view: string, value: T) {
    let held = ready.get(projectId)
    if (held) {
      ready.delete(projectId)
      held.stamp = ++writes
    } else {
      held = { views: new Map(), stamp: ++writes }
    }
    const { views } = held
    if (!views.has(view)) size++
    views.set(view, value)
    ready.set(projectId, held)
    // Memory stays flat once full: whole projects leave, least recently used first.
    while (size > maxEntries) {
      const oldest = ready.keys().next().value!
      if (oldest === projectId && ready.size === 1) {
        views.delete(views.keys().next().value!)
        size--
      } else {
        drop(oldest)
      }
    }
  }

  return {
    /** The project's snapshot for this view while it is valid; undefined = build one. Synchronous. */
    get (projectId: string, view: string): T | undefined {
      const held = ready.get(projectId)
      if (held === undefined) return undefined
      const value = held.views.get(view)
      if (value === undefined) return undefined
      if (!valid(value)) {
        held.views.delete(view)
        size--
        if (held.views.size === 0) ready.delete(projectId)
        return undefined
      }
      // Recency: the map's order is the eviction order.
      if (movesOnHit(writes, held.stamp, ready.size)) {
        ready.delete(projectId)
        held.stamp = ++writes
        ready.set(projectId, held)
      }
      return value
    },

    /** Builds the snapshot once for every concurrent caller; keeps it if it may be reused. */
    build (projectId: string, view: string, make: () => Promise<T>): Promise<T> {
      let flights = building.get(projectId)
      const running = flights?.get(view)
      if (running) return running.promise
      if (!flights) {
        flights = new Map()
        building.set(projectId, flights)
      }
      const flight: Flight<T> = { invalidated: false, promise: undefined as unknown as Promise<T> }
      const done = () => {
        const current = building.get(projectId)
        if (current?.get(view) !== flight) return
        current.delete(view)
        if (current.size === 0) building.delete(projectId)
      }
      flight.promise = make().then((value) => {
        done()
        if (flight.invalidated) outcomes.invalidated.inc()
        else if (!valid(value)) outcomes.notReusable.inc()
        else {
          outcomes.kept.inc()
          keep(projectId, view, value)
        }
        return value
      }, (error: unknown) => {
        done()
        outcomes.failed.inc()
        throw error
      })
      flights.set(view, flight)
      return flight.promise
    },

    /** The project may have changed: no snapshot of it is served again, nor kept from a build under way. */
    invalidate (projectId: string) {
      drop(projectId)
      const flights = building.get(projectId)
      if (!flights) return
      for (const flight of flights.values()) flight.invalidated = true
      building.delete(projectId)
    },

    /** Snapshots held (for tests and the gauge). */
    size: () => size
  }
}
