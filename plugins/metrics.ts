import { createServer, type Server } from 'node:http'
import { timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { Registry, collectDefaultMetrics } from 'prom-client'
import { toArray } from '../src/lib/route-hooks.js'
import { BoundHistogram, type HistogramSeries } from '../src/lib/bound-histogram.js'

/** A registry per app instance, so several apps in one process (tests) never share counters. */
export function createMetrics (token?: string) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const httpDuration = new BoundHistogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry]
  })
  const expected = token === undefined ? undefined : Buffer.from(`Bearer ${token}`)
  return {
    registry,
    httpDuration,
    /** The METRICS_PORT listener's /metrics URL, once listening. */
    privateUrl: undefined as string | undefined,
    /** Whether an Authorization header may read the metrics (always, without METRICS_TOKEN). */
    authorized (header: string | undefined) {
      if (!expected) return true
      const given = Buffer.from(header ?? '')
      return given.length === expected.length && timingSafeEqual(given, expected)
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ReturnType<typeof createMetrics>
  }
}

/**
 * The private listener of METRICS_PORT: /metrics only, on METRICS_HOST (loopback by default), so
 * the public port can stop serving it. Plain node:http: nothing else is reachable through it.
 */
function startMetricsServer (metrics: ReturnType<typeof createMetrics>, port: number, host: string) {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0]
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n')
      return
    }
    if (!metrics.authorized(request.headers.authorization)) {
      response.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Unauthorized\n')
      return
    }
    metrics.registry.metrics().then((text) => {
      response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(request.method === 'HEAD' ? undefined : text)
    }, () => {
      response.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics unavailable\n')
    })
  })
  return new Promise<Server>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}

export default fp(async function metricsPlugin (fastify) {
  const settings = fastify.config.metrics
  const metrics = createMetrics(settings.token)
  fastify.decorate('metrics', metrics)
  // The route template, never the raw URL: label values must stay few. Each route gets its own
  // synchronous onResponse hook holding its series, one per (method, status code), bound on first
  // use: an observation is two map lookups, a bucket search and three additions, no strings built.
  const durationHook = (route: string) => {
    const bound = new Map<string, Map<number, HistogramSeries>>()
    return function observeDuration (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
      let byStatus = bound.get(request.method)
      if (byStatus === undefined) bound.set(request.method, byStatus = new Map())
      const status = reply.statusCode
      let series = byStatus.get(status)
      if (series === undefined) byStatus.set(status, series = metrics.httpDuration.series({ method: request.method, route, status_code: status }))
      series.observe(reply.elapsedTime / 1000)
      done()
    }
  }
  fastify.addHook('onRoute', (route) => {
    route.onResponse = [...toArray(route.onResponse), durationHook(route.url)]
  })
  // Requests no route matched (404s, router errors): one shared set of children.
  const unmatched = durationHook('unmatched')
  fastify.addHook('onResponse', function observeUnmatched (request, reply, done) {
    if (request.is404) return unmatched(request, reply, done)
    done()
  })
  let server: Server | undefined
  if (settings.port !== undefined) {
    // Open once the app is ready (onListen hooks are not awaited, so callers could not rely on it).
    fastify.addHook('onReady', async () => {
      server ??= await startMetricsServer(metrics, settings.port!, settings.host)
      const address = server.address()
      if (address && typeof address === 'object') {
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
        metrics.privateUrl = `http://${host}:${address.port}/metrics`
      }
      fastify.log.info({ url: metrics.privateUrl }, 'metrics listening')
    })
  }
  // The metrics listener outlives the drain (scrapes still see it), and goes with the app.
  fastify.addHook('onClose', async () => {
    if (server) await new Promise((resolve) => { server!.close(resolve); server!.closeAllConnections() })
    metrics.registry.clear()
  })
}, { name: 'metrics', dependencies: ['config'], fastify: '5.x' })
