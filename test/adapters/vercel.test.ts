import t from 'tap'
import { adapterHarness, FIXED_NOW, expectFailure } from './harness.js'
import { createVercelAdapter, VERCEL_DEPLOYMENTS_PATH, type VercelConfig } from '../../adapters/vercel/status.js'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { CheckEnvironment, CheckResult } from '../../src/provider-kit/manifest.js'
import type { ProviderResponse } from '../../src/provider-kit/http.js'
import { fingerprint, type ScenarioName, type ScenarioOptions } from '../simulator/simulator.js'

const MINUTE = 60_000
const DAY = 86_400_000
/** Monday of FIXED_NOW's week. */
const WEEK_START = Date.parse('2026-11-23T00:00:00.000Z')
const at = (ms: number) => new Date(ms).toISOString()
const SIM_URL = /^https:\/\/sim-app-[0-9a-f]{9}-sim\.vercel\.app$/

const CONFIG: VercelConfig = { projectId: 'prj_alpha' }
const TEAM_CONFIG: VercelConfig = { projectId: 'prj_secret1', teamId: 'team_secret9' }

type Env = Omit<CheckEnvironment, 'url'>
type Expected =
  | (Omit<CheckResult, 'environments'> & { environments?: Env[] })
  | { failure: ProviderFailure['code'], retryAfter?: number, status?: number }

const preview = (ago: number, status: Env['status'] = 'connected', summary = 'Ready'): Env =>
  ({ name: 'preview', status, summary, lastDeployAt: at(FIXED_NOW - ago) })
const production = (ago: number, status: Env['status'] = 'connected', summary = 'Live'): Env =>
  ({ name: 'production', status, summary, lastDeployAt: at(FIXED_NOW - ago) })
const healthyEnvs = [preview(2 * MINUTE), production(MINUTE)]

interface Case {
  name: string
  scenario?: ScenarioName
  options?: ScenarioOptions
  config?: VercelConfig
  timeoutMs?: number
  expected: Expected
  /** Calls to the list endpoint, when the case pins it. */
  listCalls?: number
}

const cases: Case[] = [
  {
    name: 'healthy',
    scenario: 'healthy',
    expected: { status: 'connected', summary: '3 deployments this week · Live', environments: healthyEnvs },
    listCalls: 2
  },
  {
    name: 'healthy team project',
    scenario: 'healthy',
    config: TEAM_CONFIG,
    expected: { status: 'connected', summary: '3 deployments this week · Live', environments: healthyEnvs }
  },
  {
    name: 'stale: nothing this week, production still live',
    scenario: 'stale',
    expected: { status: 'connected', summary: '0 deployments this week · Live', environments: [preview(13 * DAY), production(12 * DAY)] }
  },
  {
    name: 'one deployment this week',
    scenario: 'healthy',
    options: { deploymentsThisWeek: 1 },
    expected: { status: 'connected', summary: '1 deployment this week · Live', environments: [preview(9 * DAY), production(MINUTE)] }
  },
  {
    name: 'the week spans two pages',
    scenario: 'healthy',
    options: { deploymentsThisWeek: 150 },
    expected: { status: 'connected', summary: '150 deployments this week · Live', environments: healthyEnvs },
    listCalls: 3
  },
  {
    name: 'paging stops after five pages',
    scenario: 'healthy',
    options: { deploymentsThisWeek: 700 },
    expected: { status: 'connected', summary: '500+ deployments this week · Live', environments: healthyEnvs },
    listCalls: 6
  },
  {
    name: 'production failing, preview fine',
    scenario: 'production_failing',
    expected: {
      status: 'warning',
      summary: 'Preview ok · Prod failing',
      environments: [preview(2 * MINUTE), production(MINUTE, 'error', 'Build failed')]
    }
  },
  {
    name: 'production building is not an error',
    scenario: 'building',
    expected: {
      status: 'connected',
      summary: '3 deployments this week · Building',
      environments: [preview(2 * MINUTE), production(MINUTE, 'connected', 'Building')]
    }
  },
  { name: 'revoked token', scenario: 'revoked', expected: { failure: 'oauth_revoked', status: 403 } },
  { name: 'unregistered token', expected: { failure: 'oauth_revoked', status: 403 } },
  {
    name: 'token without access to the team',
    scenario: 'missing_scopes',
    config: TEAM_CONFIG,
    expected: {
      status: 'warning',
      summary: 'No access to the project',
      problem: { code: 'missing_permissions', hint: 'Reconnect Vercel with a token that can reach project prj_secret1 in team team_secret9' },
      viewer: { hint: 'Reconnect Vercel with a token that can reach the project' },
      suggestReconnect: true
    }
  },
  {
    name: 'rate limited: error.limit.reset',
    scenario: 'rate_limited',
    options: { retryAfterSeconds: 42 },
    expected: { failure: 'rate_limited', retryAfter: 42, status: 429 }
  },
  { name: 'server error', scenario: 'server_error', expected: { failure: 'unknown', status: 500 } },
  { name: 'malformed JSON', scenario: 'malformed', expected: { failure: 'unknown', status: 200 } },
  { name: 'endless body hits the cap', scenario: 'endless', expected: { failure: 'unknown' } },
  { name: 'connection reset mid-body', scenario: 'reset', expected: { failure: 'unknown' } },
  { name: 'hanging provider', scenario: 'hanging', timeoutMs: 300, expected: { failure: 'timeout' } },
  {
    name: 'slow provider still answers',
    scenario: 'slow',
    options: { delayMs: 150 },
    expected: { status: 'connected', summary: '3 deployments this week · Live', environments: healthyEnvs }
  }
]

/** Splits off the deployment URLs, which carry generated ids, so the rest compares exactly. */
function withoutUrls (result: CheckResult) {
  const urls = result.environments?.map((e) => e.url)
  const environments = result.environments?.map(({ url: _, ...rest }) => rest)
  return { urls, result: { ...result, ...(environments ? { environments } : {}) } }
}

for (const c of cases) {
  t.test(c.name, async (t) => {
    const h = await adapterHarness(t)
    const token = c.scenario ? `vc-${c.name.replace(/\W+/g, '-')}` : 'never-registered'
    if (c.scenario) h.sim.setScenario('vercel', token, c.scenario, c.options)
    const config = c.config ?? CONFIG
    const result = await h.run(createVercelAdapter({ apiUrl: h.sim.baseUrls.vercel }), config, { token }, c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs })

    if ('failure' in c.expected) {
      expectFailure(t, result, c.expected)
    } else {
      const split = withoutUrls(result as CheckResult)
      t.strictSame(split.result, c.expected)
      for (const url of split.urls ?? []) t.match(url, SIM_URL, 'deployment URL with its scheme')
      for (const secret of [config.projectId, config.teamId ?? 'no-team']) {
        t.notMatch((result as CheckResult).viewer?.hint ?? '', secret, `viewer hint hides ${secret}`)
      }
    }

    const calls = h.sim.calls.filter((call) => call.provider === 'vercel')
    t.ok(calls.length >= 1, 'the provider was called')
    if (c.listCalls !== undefined) t.equal(calls.length, c.listCalls, 'list calls')
    for (const call of calls) {
      t.equal(call.path, VERCEL_DEPLOYMENTS_PATH)
      t.equal(call.tokenFingerprint, fingerprint(token), 'the bearer token is sent')
      t.equal(call.query.projectId, config.projectId)
      t.equal(call.query.teamId, config.teamId, 'teamId only when configured')
    }
    if (!('failure' in c.expected)) {
      const base = { projectId: config.projectId, ...(config.teamId ? { teamId: config.teamId } : {}) }
      const recent = calls.filter((call) => call.query.since === undefined)
      t.strictSame(recent.map((call) => call.query), [{ ...base, limit: '20' }], 'one recent list, no since')
      const week = calls.filter((call) => call.query.since !== undefined)
      t.strictSame(week[0]?.query, { ...base, since: String(WEEK_START), limit: '100' }, 'first page of the week')
      for (const page of week.slice(1)) t.match(page.query, { since: String(WEEK_START), limit: '100', until: /^\d+$/ }, 'later pages page by until')
    }
  })
}

interface StubDeployment { uid: string, url: string, createdAt: number, readyState: string, target?: string | null }

const deployment = (minutesAgo: number, target: string | null | undefined, readyState = 'READY'): StubDeployment => ({
  uid: `dpl_${minutesAgo}`,
  url: `app-${minutesAgo}.vercel.app`,
  createdAt: FIXED_NOW - minutesAgo * MINUTE,
  readyState,
  ...(target === undefined ? {} : { target })
})
const page = (deployments: unknown[], next: number | null = null): ProviderResponse =>
  ({ status: 200, headers: {}, body: { pagination: { count: deployments.length, next, prev: null }, deployments } })

/** Answers from a function of the request URL, for shapes the simulator does not produce. */
async function stubRun (answer: (url: URL) => ProviderResponse, config: VercelConfig = CONFIG) {
  const urls: URL[] = []
  const http = {
    async getJson (url: string | URL) {
      urls.push(new URL(url))
      return answer(new URL(url))
    }
  }
  const result = await createVercelAdapter({ apiUrl: 'https://api.example' }).check({
    projectId: 'p_test', config, credentials: { token: 't' }, signal: new AbortController().signal, now: FIXED_NOW, http
  }).catch((error: unknown) => {
    if (error instanceof ProviderFailure) return error
    throw error
  })
  return { result, urls }
}

const same = (res: ProviderResponse) => () => res
const weekAndRecent = (deployments: StubDeployment[]) => same(page(deployments))

const stubCases: Array<{ name: string, answer: (url: URL) => ProviderResponse, expected: CheckResult | { failure: ProviderFailure['code'], retryAfter?: number } }> = [
  {
    name: 'missing token',
    answer: same({ status: 403, headers: {}, body: { error: { code: 'forbidden', message: 'The request is missing an authentication token', missingToken: true } } }),
    expected: { failure: 'oauth_revoked' }
  },
  { name: 'unknown project', answer: same({ status: 404, headers: {}, body: { error: { code: 'not_found', message: 'Project not found' } } }), expected: { status: 'error', summary: 'Project not found', problem: { code: 'not_found', hint: 'Check the project id (and team) of the link' } } },
  { name: 'Retry-After in seconds wins', answer: same({ status: 429, headers: { 'retry-after': '7', 'x-ratelimit-reset': String(FIXED_NOW / 1000 + 99) }, body: { error: { code: 'rate_limited', limit: { reset: FIXED_NOW / 1000 + 50 } } } }), expected: { failure: 'rate_limited', retryAfter: 7 } },
  { name: 'Retry-After as an HTTP date', answer: same({ status: 429, headers: { 'retry-after': new Date(FIXED_NOW + 20_000).toUTCString() }, body: undefined }), expected: { failure: 'rate_limited', retryAfter: 20 } },
  { name: 'X-RateLimit-Reset when the body has no limit', answer: same({ status: 429, headers: { 'x-ratelimit-reset': String(FIXED_NOW / 1000 + 33) }, body: undefined }), expected: { failure: 'rate_limited', retryAfter: 33 } },
  { name: 'bare 429 waits a minute', answer: same({ status: 429, headers: {}, body: undefined }), expected: { failure: 'rate_limited', retryAfter: 60 } },
  { name: 'gateway error page', answer: same({ status: 502, headers: {}, body: undefined }), expected: { failure: 'unknown' } },
  { name: 'no deployments at all', answer: weekAndRecent([]), expected: { status: 'warning', summary: 'No deployments yet' } },
  {
    name: 'production only',
    answer: weekAndRecent([deployment(5, 'production')]),
    expected: { status: 'connected', summary: '1 deployment this week · Live', environments: [{ name: 'production', status: 'connected', summary: 'Live', url: 'https://app-5.vercel.app', lastDeployAt: at(FIXED_NOW - 5 * MINUTE) }] }
  },
  {
    name: 'previews only; an absent target is a preview',
    answer: weekAndRecent([deployment(5, undefined), deployment(9, null)]),
    expected: { status: 'warning', summary: 'No production deployment yet', environments: [{ name: 'preview', status: 'connected', summary: 'Ready', url: 'https://app-5.vercel.app', lastDeployAt: at(FIXED_NOW - 5 * MINUTE) }] }
  },
  {
    name: 'production failing without a preview',
    answer: weekAndRecent([deployment(5, 'production', 'ERROR')]),
    expected: { status: 'error', summary: 'Prod failing', environments: [{ name: 'production', status: 'error', summary: 'Build failed', url: 'https://app-5.vercel.app', lastDeployAt: at(FIXED_NOW - 5 * MINUTE) }] }
  },
  {
    name: 'production and preview both failing',
    answer: weekAndRecent([deployment(5, 'production', 'ERROR'), deployment(6, null, 'ERROR')]),
    expected: {
      status: 'error',
      summary: 'Prod failing',
      environments: [
        { name: 'preview', status: 'error', summary: 'Build failed', url: 'https://app-6.vercel.app', lastDeployAt: at(FIXED_NOW - 6 * MINUTE) },
        { name: 'production', status: 'error', summary: 'Build failed', url: 'https://app-5.vercel.app', lastDeployAt: at(FIXED_NOW - 5 * MINUTE) }
      ]
    }
  },
  {
    name: 'canceled production deployment',
    answer: weekAndRecent([deployment(5, 'production', 'CANCELED')]),
    expected: { status: 'warning', summary: '1 deployment this week · Canceled', environments: [{ name: 'production', status: 'warning', summary: 'Canceled', url: 'https://app-5.vercel.app', lastDeployAt: at(FIXED_NOW - 5 * MINUTE) }] }
  },
  {
    name: 'queued production deployment reads as building',
    answer: weekAndRecent([deployment(5, 'production', 'QUEUED')]),
    expected: { status: 'connected', summary: '1 deployment this week · Building', environments: [{ name: 'production', status: 'connected', summary: 'Building', url: 'https://app-5.vercel.app', lastDeployAt: at(FIXED_NOW - 5 * MINUTE) }] }
  },
  { name: 'deployments is not an array', answer: same({ status: 200, headers: {}, body: { deployments: {} } }), expected: { failure: 'unknown' } },
  { name: 'a deployment without a url', answer: weekAndRecent([{ ...deployment(5, 'production'), url: 7 } as unknown as StubDeployment]), expected: { failure: 'unknown' } },
  {
    name: 'a later page that fails',
    answer: (url) => url.searchParams.has('until') ? { status: 403, headers: {}, body: { error: { code: 'forbidden' } } } : page([deployment(5, 'production')], FIXED_NOW - 5 * MINUTE),
    expected: { failure: 'unknown' }
  }
]

t.test('shapes the simulator does not produce', async (t) => {
  for (const c of stubCases) {
    const { result } = await stubRun(c.answer)
    if ('failure' in c.expected) {
      expectFailure(t, result, { failure: c.expected.failure, retryAfter: c.expected.retryAfter }, c.name)
    } else {
      t.strictSame(result, c.expected, c.name)
    }
  }
})

t.test('production beyond the recent page is fetched on its own', async (t) => {
  const previews = Array.from({ length: 20 }, (_, i) => deployment(i + 1, null))
  const { result, urls } = await stubRun((url) => url.searchParams.get('target') === 'production'
    ? page([deployment(3 * 24 * 60, 'production')])
    : page(previews), TEAM_CONFIG)
  t.match(result, {
    status: 'connected',
    summary: '20 deployments this week · Live',
    environments: [{ name: 'preview', lastDeployAt: at(FIXED_NOW - MINUTE) }, { name: 'production', lastDeployAt: at(FIXED_NOW - 3 * DAY) }]
  })
  const fallback = urls.find((url) => url.searchParams.has('target'))
  t.ok(fallback, 'a third call asked for production')
  t.strictSame(Object.fromEntries(fallback!.searchParams), { projectId: 'prj_secret1', target: 'production', limit: '1', teamId: 'team_secret9' })
  t.equal(fallback!.pathname, VERCEL_DEPLOYMENTS_PATH)
})

t.test('actions and identity', async (t) => {
  const adapter = createVercelAdapter({ apiUrl: 'https://api.vercel.com' })
  t.equal(adapter.key, 'vercel')
  t.equal(adapter.label, 'Vercel')
  t.equal(VERCEL_DEPLOYMENTS_PATH, '/v6/deployments', 'pinned list endpoint')
  t.strictSame(adapter.actions, [
    { id: 'deploy', label: 'Deploy', capability: 'deploy' },
    { id: 'link', label: 'Link project', capability: 'configure' },
    { id: 'disconnect', label: 'Disconnect', capability: 'connect' }
  ])
})
