import type { Static } from '@sinclair/typebox'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { ActionDefinition, AdapterDefinition, CheckContext, CheckResult, CheckStatus } from '../../src/provider-kit/manifest.js'
import { parseRetryAfter, type ProviderResponse } from '../../src/provider-kit/http.js'
import type { SupabaseLinkConfig as SupabaseLinkConfigSchema } from './config.js'
import { createDatabaseProbe, type ProbeOutcome } from './database.js'
import { createSupabaseExecutors } from './actions.js'

export type SupabaseLinkConfig = Static<typeof SupabaseLinkConfigSchema>

export const SUPABASE_HEALTH_SERVICES = ['auth', 'db', 'pooler', 'realtime', 'rest', 'storage'] as const
/** How long Supabase may wait on each service; well under any sensible check deadline. */
export const SUPABASE_HEALTH_TIMEOUT_MS = 2_000

const DEFAULT_RETRY_AFTER = 60
/** `SELECT 1` round trips per latency measure (the check's and test-connection's). */
const PROBE_SAMPLES = 3
const SERVICE_NAMES: Record<string, string> = {
  auth: 'Auth', db: 'Database', pooler: 'Pooler', realtime: 'Realtime', rest: 'REST', storage: 'Storage'
}

type Verdict = Pick<CheckResult, 'status' | 'summary' | 'problem' | 'suggestReconnect'>

const PAUSED = new Set(['INACTIVE', 'PAUSING'])
const FAILED: Record<string, string> = {
  INIT_FAILED: 'Project setup failed',
  RESTORE_FAILED: 'Project restore failed',
  PAUSE_FAILED: 'Project pause failed',
  REMOVED: 'Project removed',
  GOING_DOWN: 'Project shutting down'
}
const TRANSITIONAL: Record<string, string> = {
  COMING_UP: 'Project starting',
  RESTORING: 'Project restoring',
  RESTARTING: 'Project restarting',
  UPGRADING: 'Project upgrading',
  RESIZING: 'Project resizing',
  UNKNOWN: 'Project status unknown'
}

/** The action catalog, in display order; connect and reconnect are core's. */
export const SUPABASE_ACTIONS: readonly ActionDefinition[] = [
  { id: 'test-connection', label: 'Test connection', capability: 'configure' },
  { id: 'disconnect', label: 'Disconnect', capability: 'connect' }
]

export function createSupabaseAdapter ({ apiUrl }: { apiUrl: string }): AdapterDefinition<SupabaseLinkConfig> & { close (): Promise<void> } {
  // One probe for the checks and the test-connection action: pools are reused and closed together.
  const probe = createDatabaseProbe({ samples: PROBE_SAMPLES })

  async function check ({ config, credentials, signal, now, http }: CheckContext<SupabaseLinkConfig>): Promise<CheckResult> {
    const headers = { authorization: `Bearer ${credentials.token}` }
    const project = `${apiUrl}/v1/projects/${encodeURIComponent(config.projectRef)}`
    const query = new URLSearchParams({ services: SUPABASE_HEALTH_SERVICES.join(','), timeout_ms: String(SUPABASE_HEALTH_TIMEOUT_MS) })
    // The real URL: the config's copy has its password masked. probe() never rejects.
    const database = credentials.databaseUrl ? probe.probe(credentials.databaseUrl, signal) : undefined
    const [status, health] = await Promise.all([
      http.getJson(project, { headers, signal }),
      http.getJson(`${project}/health?${query}`, { headers, signal })
    ])

    const responses = [status, health]
    if (responses.some((r) => r.status === 401)) throw new ProviderFailure('oauth_revoked', 'Supabase rejected the token (401)', { status: 401 })
    if (responses.some((r) => r.status === 429)) {
      throw new ProviderFailure('rate_limited', 'Supabase rate limit (429)', { status: 429, retryAfter: Math.max(...responses.map((r) => retryAfter(r, now))) })
    }
    if (responses.some((r) => r.status === 404)) {
      return { status: 'error', summary: 'Project not found', problem: { code: 'not_found', hint: 'The linked Supabase project no longer exists or moved; check the project ref' } }
    }
    if (responses.some((r) => r.status === 403)) {
      return {
        status: 'warning',
        summary: 'Missing privileges',
        problem: { code: 'missing_permissions', hint: 'The Supabase token lacks the privileges to read this project\'s status and health: reconnect with a token from an account that has them' },
        suggestReconnect: true
      }
    }
    for (const r of responses) {
      if (r.status < 200 || r.status >= 300) throw new ProviderFailure('unknown', `Supabase answered ${r.status}`, { status: r.status })
    }

    const api = judge(status.body, health.body)
    const db = await database
    if (!db) return api ?? { status: 'connected', summary: 'All services healthy' }
    if (!db.ok) return worst(api, fromProbe(db))
    return api ?? { status: 'connected', summary: `Database healthy · ${db.latencyMs}ms avg` }
  }

  return {
    key: 'supabase',
    label: 'Supabase',
    check,
    actions: SUPABASE_ACTIONS,
    executors: createSupabaseExecutors({ probe, samples: PROBE_SAMPLES }),
    close: () => probe.close()
  }
}

/** The project status first (a paused project has every service down), then the services. undefined = healthy. */
function judge (project: unknown, health: unknown): Verdict | undefined {
  const state = (project as { status?: unknown } | undefined)?.status
  if (typeof state !== 'string') throw new ProviderFailure('unknown', 'Supabase project without a status')
  if (!Array.isArray(health)) throw new ProviderFailure('unknown', 'Supabase health is not a list')

  if (PAUSED.has(state)) return { status: 'error', summary: 'Project paused', problem: { code: 'project_paused', hint: 'Restore the project from the Supabase dashboard' } }
  if (FAILED[state]) return { status: 'error', summary: FAILED[state], problem: { code: 'project_failed', hint: 'Open the project in the Supabase dashboard to see what happened' } }
  if (TRANSITIONAL[state]) return { status: 'warning', summary: TRANSITIONAL[state] }

  const services = health.filter((s): s is { name: string, status?: unknown, healthy?: unknown } =>
    typeof s === 'object' && s !== null && typeof (s as { name?: unknown }).name === 'string')
  const unhealthy = services.filter((s) => serviceState(s) === 'UNHEALTHY')
  const starting = services.filter((s) => serviceState(s) === 'COMING_UP')
  if (unhealthy.some((s) => s.name === 'db')) return { status: 'error', summary: 'Database unhealthy' }
  if (unhealthy.length > 0) return { status: 'warning', summary: `${names(unhealthy)} unhealthy` }
  if (starting.length > 0) return { status: 'warning', summary: `${names(starting)} starting` }
  // ACTIVE_UNHEALTHY with every service we asked about healthy: one we did not ask about is down.
  if (state === 'ACTIVE_UNHEALTHY') return { status: 'warning', summary: 'Project unhealthy' }
  return state === 'ACTIVE_HEALTHY' ? undefined : { status: 'warning', summary: TRANSITIONAL.UNKNOWN! }
}

function serviceState (service: { status?: unknown, healthy?: unknown }) {
  if (service.status === 'ACTIVE_HEALTHY' || service.status === 'UNHEALTHY' || service.status === 'COMING_UP') return service.status
  // `healthy` is deprecated but older deployments may only send it.
  if (typeof service.healthy === 'boolean') return service.healthy ? 'ACTIVE_HEALTHY' : 'UNHEALTHY'
  return undefined
}

// Only names we know reach a summary: anything from the response could carry the project ref.
const names = (services: { name: string }[]) => [...new Set(services.map((s) => SERVICE_NAMES[s.name] ?? 'Other services'))].join(', ')

function fromProbe (outcome: Extract<ProbeOutcome, { ok: false }>): Verdict {
  return {
    status: outcome.status,
    summary: outcome.summary,
    problem: { code: 'database_error', hint: outcome.hint },
    ...(outcome.suggestReconnect ? { suggestReconnect: true } : {})
  }
}

const SEVERITY: Record<CheckStatus, number> = { connected: 0, warning: 1, error: 2 }
const worst = (api: Verdict | undefined, db: Verdict) => api && SEVERITY[api.status] >= SEVERITY[db.status] ? api : db

function retryAfter (response: ProviderResponse, now: number) {
  if (response.status !== 429) return 0
  // Supabase's reset header is seconds remaining in the window, not an epoch.
  const reset = response.headers['x-ratelimit-reset']?.trim()
  const seconds = reset !== undefined && /^\d+$/.test(reset) ? Number(reset) : parseRetryAfter(response.headers['retry-after'], now)
  return Math.max(1, seconds ?? DEFAULT_RETRY_AFTER)
}
