import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { Backends, Lease, MessageHandler } from './types.js'

export interface MemoryBackendsOptions {
  /** Receives errors thrown by subscribers, which must not reach the publisher. */
  logger?: { error(obj: object, msg: string): void }
}

// Long enough to cost nothing, short enough that write-once keys don't pile up.
const SWEEP_INTERVAL_MS = 30_000

interface Entry { json: string, expiresAt: number }
interface Held { token: string, expiresAt: number }
interface Subscription { handler: MessageHandler }

/** Mirrors the Redis checks so both implementations reject the same input. */
export function checkTtl (ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`)
  }
}

export function toJson (value: unknown): string {
  const json = JSON.stringify(value)
  // undefined, functions and symbols serialise to nothing; Redis could not store that either.
  if (json === undefined) throw new TypeError('cache value is not JSON-serialisable')
  return json
}

/** Single-process backends: state lives in this instance only, nothing is shared. */
export function createMemoryBackends (options: MemoryBackendsOptions = {}): Backends {
  // A monotonic clock, so wall-clock adjustments neither revive nor kill entries.
  const now = () => performance.now()
  const entries = new Map<string, Entry>()
  const locks = new Map<string, Held>()
  const channels = new Map<string, Set<Subscription>>()
  let closed = false

  const assertOpen = () => {
    if (closed) throw new Error('memory backends are closed')
  }

  const sweep = () => {
    const t = now()
    for (const [key, entry] of entries) if (entry.expiresAt <= t) entries.delete(key)
    for (const [key, held] of locks) if (held.expiresAt <= t) locks.delete(key)
  }
  const timer = setInterval(sweep, SWEEP_INTERVAL_MS)
  timer.unref()

  /** The live hold on key by token, dropping it if it has run out. */
  const holding = (key: string, token: string): Held | undefined => {
    const held = locks.get(key)
    if (held === undefined) return undefined
    if (held.expiresAt <= now()) {
      locks.delete(key)
      return undefined
    }
    return held.token === token ? held : undefined
  }

  const lease = (key: string, token: string): Lease => ({
    key,
    token,
    async extend (ttlMs) {
      checkTtl(ttlMs)
      assertOpen()
      const held = holding(key, token)
      if (held === undefined) return false
      held.expiresAt = now() + ttlMs
      return true
    },
    async release () {
      assertOpen()
      if (holding(key, token) === undefined) return false
      locks.delete(key)
      return true
    }
  })

  return {
    kind: 'memory',
    cache: {
      async get<T = unknown> (key: string) {
        assertOpen()
        const entry = entries.get(key)
        if (entry === undefined) return undefined
        if (entry.expiresAt <= now()) {
          entries.delete(key)
          return undefined
        }
        return JSON.parse(entry.json) as T
      },
      async set (key, value, ttlMs) {
        checkTtl(ttlMs)
        const json = toJson(value)
        assertOpen()
        entries.set(key, { json, expiresAt: now() + ttlMs })
      },
      async delete (key) {
        assertOpen()
        entries.delete(key)
      }
    },
    pubsub: {
      async publish (channel, message) {
        assertOpen()
        const subs = channels.get(channel)
        if (subs === undefined) return
        const targets = [...subs]
        // Asynchronous like Redis, so no caller comes to rely on synchronous delivery.
        queueMicrotask(() => {
          for (const sub of targets) {
            // Unsubscribed (or closed) between publish and delivery: Redis would not deliver either.
            if (!subs.has(sub)) continue
            try {
              sub.handler(message)
            } catch (err) {
              options.logger?.error({ err, channel }, 'pub/sub handler threw')
            }
          }
        })
      },
      async subscribe (channel, handler) {
        assertOpen()
        // One object per call, so the same function subscribed twice is two subscriptions.
        const sub: Subscription = { handler }
        let subs = channels.get(channel)
        if (subs === undefined) {
          subs = new Set()
          channels.set(channel, subs)
        }
        subs.add(sub)
        return async () => {
          const current = channels.get(channel)
          if (current === undefined || !current.delete(sub)) return
          if (current.size === 0) channels.delete(channel)
        }
      }
    },
    locks: {
      async tryAcquire (key, ttlMs) {
        checkTtl(ttlMs)
        assertOpen()
        const held = locks.get(key)
        if (held !== undefined && held.expiresAt > now()) return null
        const token = randomUUID()
        locks.set(key, { token, expiresAt: now() + ttlMs })
        return lease(key, token)
      }
    },
    connected: () => true,

    async ping () {
      assertOpen()
    },
    async close () {
      if (closed) return
      closed = true
      clearInterval(timer)
      // Emptying the sets also cancels deliveries already queued by publish.
      for (const subs of channels.values()) subs.clear()
      channels.clear()
      entries.clear()
      locks.clear()
    }
  }
}
