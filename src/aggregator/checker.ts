import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import { SpanStatusCode, type Span } from '@opentelemetry/api'
import type { Database, ProviderKey } from '../db/database.js'
import type { StoredCredentials } from '../provider-kit/credentials.js'
import { ProviderFailure } from '../provider-kit/failure.js'
import type { AdapterDefinition } from '../provider-kit/manifest.js'
import type { ProviderHttp } from '../provider-kit/http.js'
import type { BreakerTransition, Resilience } from './resilience.js'
import type { StatusEntry } from './status-store.js'
import type { LinkView } from './links-view.js'
import type { AggregatorTelemetry } from './telemetry.js'

export interface CheckerOptions {
  adapters: ReadonlyMap<ProviderKey, AdapterDefinition<any>>
  credentials: { credentials (projectId: string, provider: ProviderKey): Promise<StoredCredentials | null> }
  resilience: Resilience
  telemetry: AggregatorTelemetry
  http: ProviderHttp
  db: Kysely<Database>
  log: FastifyBaseLogger
  now: () => number
  ttlMs: number
}

/** A rate limit without a usable reset header waits this long (a minute, what providers commonly advise). */
const DEFAULT_RETRY_AFTER_S = 60

/**
 * One provider check, start to finish: decrypt the credentials, run the adapter through the
 * resilience policies, and turn what happened into the next StatusEntry, with its log line,
 * metrics and span. Breaker transitions land here too, since they happen inside a check.
 */
export function createChecker ({ adapters, credentials: links, resilience, telemetry, http, db, log, now, ttlMs }: CheckerOptions) {
  /** The span of the check running for a (provider, project), for breaker events. */
  const checkSpans = new Map<string, Span>()

  function recordTransition ({ provider, projectId, state, persisted }: BreakerTransition) {
    log.warn({ projectId, provider, circuitBreakerState: state }, `circuit ${state} for ${provider}`)
    telemetry.breakerTransitions.inc({ provider, state })
    checkSpans.get(`${provider}:${projectId}`)?.addEvent('circuit_breaker.transition', { 'circuit_breaker.state': state, provider })
    db.updateTable('project_integrations').set({ circuit_breaker_state: JSON.stringify(persisted) })
      .where('project_id', '=', projectId).where('provider', '=', provider)
      .execute()
      .catch((error: unknown) => log.warn({ err: error, projectId, provider }, 'could not persist circuit state'))
  }

  /** Calls the provider through the resilience policies and turns the outcome into an entry. */
  async function check (projectId: string, link: LinkView, previous: StatusEntry | undefined, userId: string | undefined): Promise<StatusEntry> {
    const adapter = adapters.get(link.provider)!
    const provider = link.provider
    const span = telemetry.tracer.startSpan('integration_status.provider_check', { attributes: { provider, 'project.id': projectId } })
    checkSpans.set(`${provider}:${projectId}`, span)
    const started = performance.now()
    let outcome = 'ok'
    let reason: string | undefined
    let entry: StatusEntry
    try {
      const credentials = await links.credentials(projectId, provider)
      if (!credentials) throw new ProviderFailure('oauth_revoked', 'no stored credentials')
      const result = await resilience.execute(provider, projectId, link.breaker, (signal) =>
        adapter.check({ projectId, config: link.config, credentials, signal, now: now(), http }))
      const at = now()
      entry = { id: randomUUID(), linkVersion: link.version, good: { result, at }, checkedAt: at, freshUntil: at + jitteredTtl() }
    } catch (error) {
      const failure = error instanceof ProviderFailure
        ? error
        : new ProviderFailure('unknown', 'status check failed', { cause: error, internal: true })
      outcome = failure.circuitOpen ? 'circuit_open' : failure.code
      // Adapters word failures with the host and status only, never credentials: safe to log.
      reason = failure.message
      if (failure.internal) log.error({ err: failure.cause, projectId, provider }, 'adapter failed unexpectedly')
      if (failure.code === 'timeout') telemetry.timeouts.inc({ provider })
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message })
      entry = failedEntry(link, previous, failure)
    } finally {
      checkSpans.delete(`${provider}:${projectId}`)
    }
    const latencyMs = Math.round(performance.now() - started)
    const circuitBreakerState = resilience.state(provider, projectId)
    telemetry.adapterDuration.observe({ provider, outcome }, latencyMs / 1000)
    span.setAttributes({ outcome, 'circuit_breaker.state': circuitBreakerState, latency_ms: latencyMs })
    span.end()
    log.info({ projectId, userId, provider, latencyMs, cacheHit: false, circuitBreakerState, outcome, ...(reason ? { reason } : {}) }, 'provider check')
    return entry
  }

  function failedEntry (link: LinkView, previous: StatusEntry | undefined, failure: ProviderFailure): StatusEntry {
    const at = now()
    const base = previous?.linkVersion === link.version ? previous : undefined
    const since = base?.failure?.code === failure.code ? base.failure.since : at
    const entry: StatusEntry = {
      id: randomUUID(),
      linkVersion: link.version,
      ...(base?.good ? { good: base.good } : {}),
      failure: {
        code: failure.code,
        at,
        since,
        ...(failure.retryAfter === undefined ? {} : { retryAfter: failure.retryAfter }),
        ...(failure.circuitOpen ? { circuitOpen: true } : {})
      },
      checkedAt: at,
      freshUntil: at + jitteredTtl()
    }
    if (failure.code === 'rate_limited') {
      // No call before the provider's reset, on any instance: the entry says so to all of them.
      entry.failure!.retryAfter = failure.retryAfter ?? DEFAULT_RETRY_AFTER_S
      entry.retryNotBefore = at + entry.failure!.retryAfter * 1000
      entry.freshUntil = Math.max(entry.freshUntil, entry.retryNotBefore)
    }
    return entry
  }

  /** ±33% around the TTL (15 s → 10–20 s), so entries filled together do not expire together. */
  function jitteredTtl () {
    return Math.round(ttlMs * (2 / 3 + Math.random() * 2 / 3))
  }

  return { check, recordTransition }
}
