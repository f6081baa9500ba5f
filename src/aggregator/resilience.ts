import {
  CircuitState, ConsecutiveBreaker, ConstantBackoff, TimeoutStrategy,
  circuitBreaker, handleWhen, retry, timeout, wrap,
  isBrokenCircuitError, TaskCancelledError,
  type CircuitBreakerPolicy, type IPolicy, type ICancellationContext
} from 'cockatiel'
import type { ProviderKey } from '../db/database.js'
import { isProviderFailure, ProviderFailure } from '../provider-kit/failure.js'

export type BreakerState = 'closed' | 'open' | 'half_open'

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'open'
}

/** What is kept in project_integrations.circuit_breaker_state. */
export interface PersistedBreaker {
  state: BreakerState
  changedAt: string
  /** cockatiel's own snapshot, restored when the breaker is rebuilt after a restart. */
  snapshot: unknown
}

export interface BreakerTransition {
  provider: ProviderKey
  projectId: string
  state: BreakerState
  persisted: PersistedBreaker
}

/**
 * Only the provider's own trouble opens a circuit: it did not answer in time, or answered with
 * something unusable. A revoked token or a rate limit is the project's state, not an outage, and
 * is handled by the status itself (and by the rate-limit backoff).
 */
const isOutage = (error: unknown) =>
  isTimeout(error) || (isProviderFailure(error) && (error.code === 'timeout' || error.code === 'unknown'))

/**
 * cockatiel 3.2.1's isTaskCancelledError tests for 'isBulkheadRejectedError' (a bug), so it never
 * recognises a timeout; instanceof does.
 */
const isTimeout = (error: unknown) => error instanceof TaskCancelledError

/** Connection-level failures of an idempotent GET are worth one quick second try. */
const isTransient = (error: unknown) => isProviderFailure(error) && error.code === 'unknown' && (error.status === undefined || error.status >= 500)

export interface ResilienceOptions {
  timeoutMs: number
  failures: number
  halfOpenMs: number
  /** Called on every state change, after cockatiel has made it. */
  onTransition (transition: BreakerTransition): void
  /** Most breakers kept; closed ones are dropped first beyond it. */
  maxBreakers?: number
}

interface Guard {
  policy: IPolicy<ICancellationContext>
  breaker: CircuitBreakerPolicy
}

/**
 * One circuit per (adapter, project), not one per adapter. A provider's failures are mostly
 * per token and per resource: one project's deleted repository, broken database or hanging
 * self-hosted endpoint must not darken every other project on that provider. A provider-wide
 * outage is still contained: each project opens its own circuit after a few failures, and the
 * cache already limits calls to one per project and TTL, so the outage costs a bounded number of
 * timed-out background calls while every response is served stale within the deadline.
 */
export function createResilience ({ timeoutMs, failures, halfOpenMs, onTransition, maxBreakers = 20_000 }: ResilienceOptions) {
  const guards = new Map<string, Guard>()

  function build (provider: ProviderKey, projectId: string, initialState: unknown): Guard {
    const breaker = circuitBreaker(handleWhen(isOutage), {
      halfOpenAfter: halfOpenMs,
      breaker: new ConsecutiveBreaker(failures),
      ...(initialState === undefined ? {} : { initialState })
    })
    breaker.onStateChange((state) => {
      const name = STATE_NAMES[state]
      onTransition({ provider, projectId, state: name, persisted: { state: name, changedAt: new Date().toISOString(), snapshot: breaker.toJSON() } })
    })
    const policy = wrap(
      breaker,
      // Cooperative: on timeout the signal aborts and the check reports what it saw (a body that
      // never ended is `unknown`, no answer at all is `timeout`); boundedBySignal below makes sure
      // a check that ignores its signal still ends.
      timeout(timeoutMs, TimeoutStrategy.Cooperative),
      retry(handleWhen(isTransient), { maxAttempts: 1, backoff: new ConstantBackoff(50) })
    )
    return { policy, breaker }
  }

  function guard (provider: ProviderKey, projectId: string, persisted?: PersistedBreaker | null) {
    const key = `${provider}:${projectId}`
    let entry = guards.get(key)
    if (!entry) {
      if (guards.size >= maxBreakers) evict()
      entry = build(provider, projectId, restorable(persisted))
      guards.set(key, entry)
    }
    return entry
  }

  function evict () {
    for (const [key, entry] of guards) {
      if (entry.breaker.state === CircuitState.Closed) {
        guards.delete(key)
        return
      }
    }
    guards.delete(guards.keys().next().value!)
  }

  return {
    /** Runs a check through breaker, timeout and retry; failures come out as ProviderFailure. */
    async execute<T> (provider: ProviderKey, projectId: string, persisted: PersistedBreaker | null | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
      const { policy } = guard(provider, projectId, persisted)
      try {
        return await policy.execute(({ signal }) => boundedBySignal(fn(signal), signal))
      } catch (error) {
        throw toFailure(error)
      }
    },

    state (provider: ProviderKey, projectId: string): BreakerState {
      const entry = guards.get(`${provider}:${projectId}`)
      return entry ? STATE_NAMES[entry.breaker.state] : 'closed'
    },

    /** Counts of open and half-open circuits per provider, for the metrics gauge. */
    openCounts () {
      const counts = new Map<string, number>()
      for (const [key, entry] of guards) {
        if (entry.breaker.state === CircuitState.Closed) continue
        const provider = key.slice(0, key.indexOf(':'))
        counts.set(provider, (counts.get(provider) ?? 0) + 1)
      }
      return counts
    },

    forget (provider: ProviderKey, projectId: string) {
      guards.delete(`${provider}:${projectId}`)
    }
  }
}

export type Resilience = ReturnType<typeof createResilience>

/** How long a check may take to wind down after its signal aborted before it is cut off. */
const ABORT_GRACE_MS = 250

/** Settles like `work`, or as a timeout shortly after `signal` aborts if `work` ignores it. */
function boundedBySignal<T> (work: Promise<T>, signal: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const cutOff = new Promise<never>((_resolve, reject) => {
    onAbort = () => { timer = setTimeout(() => reject(new ProviderFailure('timeout', 'check ignored its abort signal')), ABORT_GRACE_MS) }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  return Promise.race([work, cutOff]).finally(() => {
    clearTimeout(timer)
    signal.removeEventListener('abort', onAbort!)
  })
}

/** Only snapshots from cockatiel itself are restored; anything else starts closed. */
function restorable (persisted: PersistedBreaker | null | undefined) {
  return persisted && typeof persisted === 'object' && persisted.snapshot && typeof persisted.snapshot === 'object'
    ? persisted.snapshot
    : undefined
}

function toFailure (error: unknown): ProviderFailure {
  if (isProviderFailure(error)) return error
  if (isBrokenCircuitError(error)) return new ProviderFailure('unknown', 'circuit open: provider not called', { cause: error, circuitOpen: true })
  if (isTimeout(error)) return new ProviderFailure('timeout', 'check timed out', { cause: error })
  // An adapter bug must not become a 500: it is reported as an unknown provider failure and logged.
  return new ProviderFailure('unknown', `adapter error: ${(error as Error)?.message ?? String(error)}`, { cause: error, internal: true })
}
