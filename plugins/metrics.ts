import fp from 'fastify-plugin'
import { Registry, Histogram, collectDefaultMetrics } from 'prom-client'

/** A registry per app instance, so several apps in one process (tests) never share counters. */
export function createMetrics () {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry]
  })
  return { registry, httpDuration }
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ReturnType<typeof createMetrics>
  }
}

export default fp(async function metricsPlugin (fastify) {
  const metrics = createMetrics()
  fastify.decorate('metrics', metrics)
  fastify.addHook('onResponse', async (request, reply) => {
    // The route template, never the raw URL: label values must stay few.
    const route = request.routeOptions.url ?? 'unmatched'
    metrics.httpDuration.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000)
  })
  fastify.addHook('onClose', async () => { metrics.registry.clear() })
}, { name: 'metrics', fastify: '5.x' })
