import type { ProviderModule, Reply, RequestContext } from './shared.js'
import { DAY, JSON_TYPE, iso } from './shared.js'

const SERVICES = ['auth', 'db', 'db_postgres_user', 'pooler', 'realtime', 'rest', 'storage', 'pg_bouncer']
const LIMIT = 120

const message = (status: number, text: string): Reply => ({ status, body: { message: text } })

function info (service: string, healthy: boolean) {
  if (service === 'auth') return { name: 'GoTrue', version: 'v2.170.0', description: 'GoTrue is a user registration and authentication API' }
  if (service === 'realtime') return { healthy, db_connected: healthy, replication_connected: healthy, connected_cluster: healthy ? 1 : 0 }
  if (service === 'rest') return { db_schema: 'public,graphql_public' }
  return undefined
}

function unhealthyOne (ctx: RequestContext, asked: string[]) {
  if (ctx.scenario === 'paused') return undefined
  if (ctx.scenario !== 'unhealthy_service') return null
  return ctx.options.unhealthyService ?? (asked.includes('db') ? 'db' : asked[0])
}

export const supabase: ProviderModule = {
  provider: 'supabase',
  extraScenarios: ['unhealthy_service', 'paused'],

  commonHeaders (ctx) {
    const limited = ctx.scenario === 'rate_limited'
    return {
      'content-type': JSON_TYPE,
      'x-ratelimit-limit': String(LIMIT),
      'x-ratelimit-remaining': String(limited ? 0 : LIMIT - 1),
      // Seconds remaining in the window, not an epoch.
      'x-ratelimit-reset': String(ctx.options.retryAfterSeconds ?? 60)
    }
  },

  invalidToken: () => message(401, 'Unauthorized'),
  rateLimited: (ctx) => message(ctx.options.status ?? 429, 'Too many requests'),
  serverError: (ctx) => message(ctx.options.status ?? 500, 'Internal Server Error'),
  forbidden: () => message(403, 'Your account does not have the necessary privileges to access this endpoint. For more details, refer to our documentation https://supabase.com/docs/guides/platform/access-control'),
  notFound: () => message(404, 'Not Found'),

  routes: {
    'GET /v1/projects/:ref': (ctx, { ref = '' }) => ({
      status: 200,
      body: {
        id: ref,
        ref,
        organization_id: 'sim-org',
        organization_slug: 'sim-org',
        name: 'sim-project',
        region: 'eu-central-1',
        created_at: iso(ctx.now - 400 * DAY),
        status: ctx.scenario === 'paused' ? 'INACTIVE' : 'ACTIVE_HEALTHY',
        database: { host: `db.${ref}.supabase.co`, version: '15.8.1.085', postgres_engine: '15', release_channel: 'ga' }
      }
    }),

    'GET /v1/projects/:ref/health': (ctx) => {
      const raw = ctx.query.get('services')
      if (!raw) return message(400, 'services must be a comma-separated list of: ' + SERVICES.join(', '))
      const asked = raw.split(',').map((s) => s.trim())
      const unknown = asked.find((s) => !SERVICES.includes(s))
      if (unknown !== undefined) return message(400, `Invalid service: ${unknown}`)
      const timeout = ctx.query.get('timeout_ms')
      if (timeout !== null && !(Number(timeout) >= 0 && Number(timeout) <= 10000)) {
        return message(400, 'timeout_ms must be between 0 and 10000')
      }
      // undefined = every service down (a paused project), null = none.
      const down = unhealthyOne(ctx, asked)
      return {
        status: 200,
        body: asked.map((name) => {
          const healthy = down === null ? true : down === undefined ? false : name !== down
          const details = info(name, healthy)
          return {
            name,
            healthy,
            status: healthy ? 'ACTIVE_HEALTHY' : 'UNHEALTHY',
            ...(details ? { info: details } : {}),
            ...(healthy ? {} : { error: ctx.scenario === 'paused' ? 'project is paused' : 'connection refused' })
          }
        })
      }
    }
  }
}
