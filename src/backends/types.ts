/**
 * The three shared-state backends the service runs on. Each has an in-process memory
 * implementation (one instance only) and a Redis implementation (many instances), and both
 * pass the same suite in test/backends/. Keep these interfaces small: every method here is
 * a promise that two implementations must keep identically.
 */

/** A JSON value cache with per-entry time to live. */
export interface CacheBackend {
  /** The stored value, or undefined when absent or expired. */
  get<T = unknown>(key: string): Promise<T | undefined>
  /** Stores a JSON-serialisable value for ttlMs milliseconds (> 0). */
  set(key: string, value: unknown, ttlMs: number): Promise<void>
  /** Removes the entry; absent keys are fine. */
  delete(key: string): Promise<void>
}

export type MessageHandler = (message: string) => void

/** Fire-and-forget fan-out of string messages on named channels. */
export interface PubSubBackend {
  /** Delivers message to every current subscriber of channel, on every instance. */
  publish(channel: string, message: string): Promise<void>
  /**
   * Starts delivering channel's messages to handler. Resolves once the subscription is active,
   * so a publish made after it resolves is received. Returns the function that ends it.
   */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>
}

/** A held lease; only its holder can extend or release it. */
export interface Lease {
  readonly key: string
  readonly token: string
  /** Pushes the expiry to ttlMs from now; false when the lease was lost meanwhile. */
  extend(ttlMs: number): Promise<boolean>
  /** Gives the lease up; false when it had already expired or passed to another holder. */
  release(): Promise<boolean>
}

/** Mutual exclusion with expiry, for single-flight refreshes and leader leases. */
export interface LockBackend {
  /** Takes the lease if free, else resolves null at once (no waiting). */
  tryAcquire(key: string, ttlMs: number): Promise<Lease | null>
}

export interface Backends {
  readonly kind: 'memory' | 'redis'
  readonly cache: CacheBackend
  readonly pubsub: PubSubBackend
  readonly locks: LockBackend
  /** Resolves when the backend answers; rejects when it cannot be reached (for /readyz). */
  ping(): Promise<void>
  /**
   * False while the connection is known to be down, so callers on a latency budget can skip
   * the backend at once instead of waiting for a command to fail.
   */
  connected(): boolean
  /** Releases connections and timers. */
  close(): Promise<void>
}
