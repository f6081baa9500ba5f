import { Type } from '@sinclair/typebox'
import { sql } from 'kysely'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError } from '../errors.js'
import { PUBLIC, errorResponses, ref } from '../schemas/common.js'
import { Readiness } from '../schemas/health.js'

const READY_TIMEOUT_MS = 2_000

/** Runs one dependency check with a deadline; the error text is generic, never a connection string. */
async function check (name: string, probe: () => Promise<unknown>) {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      probe(),
      new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error('timed out')), READY_TIMEOUT_MS) })
    ])
    return { ok: true, latencyMs: Math.round(performance.now() - started) }
  } catch (error) {
    const reason = (error as Error).message === 'timed out' ? 'timed out' : 'unreachable'
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: `${name} ${reason}` }
  } finally {
    clearTimeout(timer)
  }
}

const healthRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/healthz', {
    schema: {
      tags: ['operations'],
      operationId: 'getHealth',
      summary: 'Liveness: the process answers',
      description: 'For orchestrators\' liveness probes: 200 while the process serves requests; touches no dependency.',
      security: PUBLIC,
      response: { 200: Type.Object({ status: Type.Literal('ok') }, { description: 'The process answers' }) }
    }
  }, async () => ({ status: 'ok' as const }))

  fastify.get('/readyz', {
    schema: {
      tags: ['operations'],
      operationId: 'getReadiness',
      summary: 'Readiness: the database and the shared-state backend answer, and the instance is not shutting down',
      description: 'For load balancers\' readiness probes: 200 when PostgreSQL (or the embedded database) and Redis (or the memory backends) answer within 2 s and the instance is not draining, else 503 with the failing check.',
      security: PUBLIC,
      response: { 200: ref(Readiness), 503: ref(Readiness) }
    }
  }, async (request, reply) => {
    const [database, backends] = await Promise.all([
      check('database', () => sql`select 1`.execute(fastify.db)),
      check(fastify.backends.kind === 'redis' ? 'redis' : 'backends', () => fastify.backends.ping())
    ])
    const keys = fastify.auth.jwks?.status()
    const jwks = keys && { ok: keys.ok, keys: keys.keys, ...(keys.error ? { error: keys.error } : {}) }
    // An instance that never had the provider's keys could sign nobody in from it; one whose
    // fetches fail later keeps working with the keys it holds (and says so in checks.jwks).
    const ready = database.ok && backends.ok && (keys === undefined || keys.hasKeys)
    const status = fastify.drain.draining ? 'draining' as const : ready ? 'ready' as const : 'not_ready' as const
    if (status === 'not_ready') request.log.warn({ database, backends, jwks }, 'not ready')
    return reply.code(status === 'ready' ? 200 : 503).send({ status, checks: { database, backends, ...(jwks ? { jwks } : {}) } })
  })

  // With METRICS_PORT the metrics are served on that private listener only (plugins/metrics.ts).
  if (fastify.config.metrics.port !== undefined) return
  fastify.get('/metrics', {
    schema: {
      tags: ['operations'],
      operationId: 'getMetrics',
      summary: 'Prometheus metrics: request durations by route and status, process metrics',
      description: 'The Prometheus text exposition format; scrape it from inside the deployment (see docs/operations.md). Needs `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set; not served on this port when METRICS_PORT is set.',
      security: PUBLIC,
      response: {
        // Only the 200 is text: errors stay the JSON Error body.
        200: {
          description: 'Prometheus text exposition format',
          content: { 'text/plain': { schema: Type.String({ maxLength: 10_000_000 }) } }
        },
        ...errorResponses(401)
      }
    }
  }, async (request, reply) => {
    if (!fastify.metrics.authorized(request.headers.authorization)) {
      throw new AppError('UNAUTHENTICATED', 'Send Authorization: Bearer <METRICS_TOKEN>')
    }
    reply.type(fastify.metrics.registry.contentType)
    return fastify.metrics.registry.metrics()
  })
}

export default healthRoutes
