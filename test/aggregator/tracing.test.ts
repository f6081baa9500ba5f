import t from 'tap'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { statusApp } from '../support/status-app.js'

// Registered before the app exists, as src/telemetry.ts does in the server.
const exporter = new InMemorySpanExporter()
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
provider.register()
t.teardown(() => provider.shutdown())

t.test('one aggregate span per request, one span per adapter, checks and breaker events', async (t) => {
  const s = await statusApp(t, { env: { BREAKER_FAILURES: '1' } })
  const token = await s.link('p_trace', 'github')
  await s.link('p_trace', 'sanity')
  exporter.reset()
  t.equal((await s.status('p_trace')).statusCode, 200)

  const spans = exporter.getFinishedSpans()
  const aggregates = spans.filter((span) => span.name === 'integration_status.aggregate')
  t.equal(aggregates.length, 1, 'one aggregate span')
  const aggregate = aggregates[0]!
  t.equal(aggregate.attributes['project.id'], 'p_trace')
  t.equal(aggregate.attributes.overall, 'connected')
  const adapters = spans.filter((span) => span.name === 'integration_status.adapter')
  t.same(adapters.map((span) => span.attributes.provider).sort(), ['github', 'sanity'], 'one per linked adapter')
  for (const span of adapters) {
    t.equal(span.parentSpanContext?.spanId, aggregate.spanContext().spanId, `${String(span.attributes.provider)} is a child of the aggregate`)
    t.equal(span.spanContext().traceId, aggregate.spanContext().traceId)
    t.equal(span.attributes.cache_result, 'miss')
    t.equal(span.attributes['circuit_breaker.state'], 'closed')
  }
  const checks = spans.filter((span) => span.name === 'integration_status.provider_check')
  t.same(checks.map((span) => span.attributes.outcome).sort(), ['ok', 'ok'], 'the provider checks themselves')

  exporter.reset()
  s.sim.setScenario('github', token, 'server_error')
  await s.app.aggregator.refreshProject('p_trace')
  const failed = exporter.getFinishedSpans().find((span) => span.name === 'integration_status.provider_check' && span.attributes.provider === 'github')!
  t.equal(failed.attributes.outcome, 'unknown')
  t.same(failed.events.map((e) => [e.name, e.attributes?.['circuit_breaker.state']]), [['circuit_breaker.transition', 'open']], 'the transition is a span event')
})
