import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/** The providers the service lists (test support links each of them through the real app). */
export type Provider = 'github' | 'vercel' | 'sanity' | 'supabase' | 'netlify'
/** Every provider the simulator speaks: today the same set as the service lists. */
export type SimulatedProvider = Provider

/** Scenarios every provider understands; the core or the provider's error shapes implement them. */
export const GENERIC_SCENARIOS = [
  'healthy', 'stale', 'revoked', 'missing_scopes', 'rate_limited', 'server_error',
  'slow', 'hanging', 'malformed', 'endless', 'reset'
] as const

export type ScenarioName =
  | typeof GENERIC_SCENARIOS[number]
  | 'production_failing' | 'building' | 'webhook_disabled' | 'unhealthy_service' | 'paused' | 'no_successful_deploy'

export interface ScenarioOptions {
  /** `slow`: delay before every response (default 100). */
  delayMs?: number
  /** Extra delay for this key under any scenario. */
  latencyMs?: number
  /** `rate_limited` / `server_error`: status to answer with instead of the provider's usual one. */
  status?: number
  /** `rate_limited`: seconds until the window resets (default 60). */
  retryAfterSeconds?: number
  /** GitHub `rate_limited`: answer as a secondary rate limit (retry-after, remaining > 0). */
  secondary?: boolean
  login?: string
  branch?: string
  /** GitHub repository visibility (default true). */
  private?: boolean
  /** GitHub: age of the branch head commit (default 2 h, `stale` 12 days). */
  lastCommitAgeMs?: number
  /** GitHub: commits on the branch (default 10). */
  commitCount?: number
  /** Vercel: deployments placed inside the current UTC week (default 3, `stale` 0). */
  deploymentsThisWeek?: number
  /** Sanity: documents updated inside the current UTC day (default 5, `stale` 0). */
  docsUpdatedToday?: number
  /** Supabase `unhealthy_service`: which service (default `db` when asked, else the first). */
  unhealthyService?: string
  /** Vercel: project ids or names that do not exist (404 on the project and its deployments). */
  unknownProjects?: string[]
  /** Vercel: the project has no deployments at all. */
  neverDeployed?: boolean
  /** Sanity: the project's `studioHost` (default `<projectId>-studio`); null = no deployed Studio. */
  studioHost?: string | null
  /** Sanity: `metadata.externalStudioHost`, a Studio hosted elsewhere (absent by default). */
  externalStudioHost?: string
  /** Netlify: site ids that do not exist (404 on the site, its deploys and its builds). */
  unknownSites?: string[]
  /** Netlify `building`: the in-progress state of the newest production deploy (default `building`). */
  deployState?: string
  /** Netlify: the site has no deploys at all (and nothing published). */
  noDeploys?: boolean
}

/** What a provider module hands back; the core serialises it (or breaks it, for `malformed`). */
export interface Reply {
  status: number
  headers?: Record<string, string>
  /** JSON-serialised unless `text` is set. */
  body?: unknown
  text?: string
}

export interface RequestContext {
  method: string
  /** Path relative to the provider base URL, e.g. `/repos/o/r`. */
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  scenario: ScenarioName
  options: ScenarioOptions
  /** Whether the Authorization header was absent (Vercel distinguishes it). */
  tokenMissing: boolean
  now: number
  /** Sanity data API: the project id taken from the base URL template. */
  projectId?: string
  /** The request body: parsed JSON, the raw text when it is not JSON, undefined when empty. */
  body?: unknown
}

export type Handler = (ctx: RequestContext, params: Record<string, string>) => Reply

export interface ProviderModule {
  provider: SimulatedProvider
  /** Scenarios beyond GENERIC_SCENARIOS that this provider accepts. */
  extraScenarios: ScenarioName[]
  routes: Record<string, Handler>
  /** Headers every response carries, errors included. */
  commonHeaders?: (ctx: RequestContext) => Record<string, string>
  /** Checks that come before authentication (e.g. GitHub API version). */
  preflight?: (ctx: RequestContext) => Reply | undefined
  invalidToken: (ctx: RequestContext) => Reply
  /** undefined lets the request through (GitHub's /rate_limit answers while limited). */
  rateLimited: (ctx: RequestContext) => Reply | undefined
  serverError: (ctx: RequestContext) => Reply
  /** `missing_scopes`, when the provider answers it uniformly; undefined falls through to routes. */
  forbidden?: (ctx: RequestContext) => Reply | undefined
  notFound: (ctx: RequestContext) => Reply
}

export const JSON_TYPE = 'application/json; charset=utf-8'
export const MINUTE = 60_000
export const HOUR = 3_600_000
export const DAY = 86_400_000

export const iso = (ms: number) => new Date(ms).toISOString()
export const epochSeconds = (ms: number) => Math.ceil(ms / 1000)

export function startOfUtcDay (ms: number) {
  return ms - (((ms % DAY) + DAY) % DAY)
}

/** Monday 00:00 UTC, the ISO week start. */
export function startOfUtcWeek (ms: number) {
  const day = startOfUtcDay(ms)
  const weekday = (new Date(day).getUTCDay() + 6) % 7
  return day - weekday * DAY
}

/**
 * `count` instants one minute apart going back from `now`, never before `floor`, so they stay
 * inside "today" or "this week" whatever clock a test fixes.
 */
export function recentInstants (count: number, now: number, floor: number) {
  return Array.from({ length: count }, (_, i) => Math.max(floor, now - (i + 1) * MINUTE))
}

export function hex (seed: string, length = 40) {
  return createHash('sha1').update(seed).digest('hex').slice(0, length)
}

export function intParam (value: string | null, fallback: number, min: number, max: number) {
  const n = value === null ? NaN : Number(value)
  return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : fallback
}

/** Matches `GET /repos/:owner/:repo/branches/*branch`; `*` takes the rest (branch names hold slashes). */
export function matchRoute (routes: Record<string, Handler>, method: string, path: string) {
  const actual = path.split('/').filter(Boolean)
  for (const [key, handler] of Object.entries(routes)) {
    const [routeMethod, pattern = ''] = key.split(' ')
    if (routeMethod !== method) continue
    const expected = pattern.split('/').filter(Boolean)
    const params: Record<string, string> = {}
    let ok = true
    for (let i = 0; i < expected.length && ok; i++) {
      const part = expected[i]!
      const value = actual[i]
      if (part.startsWith('*')) {
        if (i >= actual.length) break
        params[part.slice(1)] = actual.slice(i).map(decode).join('/')
        return { handler, params }
      }
      if (value === undefined) ok = false
      else if (part.startsWith(':')) params[part.slice(1)] = decode(value)
      else ok = part === value
    }
    if (ok && expected.length === actual.length) return { handler, params }
  }
  return undefined
}

function decode (segment: string) {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

export interface SimulatorCall {
  provider: SimulatedProvider
  method: string
  /** Relative to the provider base URL, e.g. `/v6/deployments`. */
  path: string
  /** Full path and query string as received. */
  url: string
  query: Record<string, string>
  /** Request headers without `authorization`. */
  headers: Record<string, string>
  /** `sha256:` + 12 hex of the bearer token; the token itself is never kept. */
  tokenFingerprint: string | null
  /** The request body: parsed JSON, the raw text when it is not JSON, undefined when empty. */
  body?: unknown
  scenario: ScenarioName | 'unregistered'
  at: number
  /** How long the simulator held the answer back (slow, latencyMs, setDelay): tests read it, not a clock. */
  delayMs: number
}
