import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { trace, type Tracer } from '@opentelemetry/api'

/**
 * The aggregator's Prometheus series and its tracer. Spans go through @opentelemetry/api, so
 * they cost nothing until a provider is registered (src/telemetry.ts does it from OTEL_* vars;
 * tests register an in-memory exporter).
 */
export function createAggregatorTelemetry (registry: Registry, openCounts: () => Map<string, number>) {
  const adapterDuration = new Histogram({
    name: 'adapter_call_duration_seconds',
    help: 'Provider check duration by provider and outcome (ok, oauth_revoked, rate_limited, timeout, unknown, circuit_open)',
    labelNames: ['provider', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5],
    registers: [registry]
  })
  const cacheLookups = new Counter({
    name: 'status_cache_lookups_total',
    help: 'Status lookups by provider and result: hit (fresh), stale (served while refreshing), miss (waited for the provider)',
    labelNames: ['provider', 'result'] as const,
    registers: [registry]
  })
  const timeouts = new Counter({
    name: 'adapter_timeouts_total',
    help: 'Provider checks that timed out',
    labelNames: ['provider'] as const,
    registers: [registry]
  })
  const breakerTransitions = new Counter({
    name: 'circuit_breaker_transitions_total',
    help: 'Circuit state changes by provider and new state',
    labelNames: ['provider', 'state'] as const,
    registers: [registry]
  })
  // eslint-disable-next-line no-new
  new Gauge({
    name: 'circuit_breakers_open',
    help: 'Open or half-open circuits per provider on this instance (circuits are per project)',
    labelNames: ['provider'] as const,
    registers: [registry],
    collect () {
      this.reset()
      for (const [provider, count] of openCounts()) this.set({ provider }, count)
    }
  })
  const tracer: Tracer = trace.getTracer('integration-status')
  return { adapterDuration, cacheLookups, timeouts, breakerTransitions, tracer }
}

export type AggregatorTelemetry = ReturnType<typeof createAggregatorTelemetry>
