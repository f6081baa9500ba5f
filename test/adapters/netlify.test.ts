import t from 'tap'
import { adapterHarness, FIXED_NOW, expectFailure } from './harness.js'
import { createNetlifyAdapter, RECENT_DEPLOYS } from '../../adapters/netlify/status.js'
import { NETLIFY_KEY, type NetlifyConfig } from '../../adapters/netlify/config.js'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { CheckEnvironment, CheckResult } from '../../src/provider-kit/manifest.js'
import type { ProviderResponse } from '../../src/provider-kit/http.js'
import { fingerprint, type ScenarioName, type ScenarioOptions } from '../simulator/simulator.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const at = (ms: number) => new Date(ms).toISOString()

const SITE = '3970e0fe-8564-4903-9a55-c5f8de49fb8b'
const CONFIG: NetlifyConfig = { siteId: SITE }
const LIVE_URL = /^https:\/\/sim-[0-9a-f]{8}\.netlify\.app$/
const PREVIEW_URL = /^https:\/\/deploy-preview-42--sim-[0-9a-f]{8}\.netlify\.app$/
const DEPLOY_URL = /^https:\/\/[0-9a-f]{24}--sim-[0-9a-f]{8}\.netlify\.app$/

type Env = Omit<CheckEnvironment, 'url'>
type Expected =
  | (Omit<CheckResult, 'environments'> & { environments?: Env[] })
  | { failure: ProviderFailure['code'], retryAfter?: number, status?: number }

const preview = (ago: number, status: Env['status'] = 'connected', summary = 'Ready'): Env =>
  ({ name: 'preview', status, summary, lastDeployAt: at(FIXED_NOW - ago) })
const production = (ago: number, status: Env['status'] = 'connected', summary = 'Live'): Env =>
  ({ name: 'production', status, summary, lastDeployAt: at(FIXED_NOW - ago) })
/** The simulator's live production deploy started 2 h 5 min ago and was published 2 min later. */
const LIVE_AGO = 2 * HOUR + 5 * MINUTE
const healthyEnvs = [preview(3 * HOUR), production(LIVE_AGO)]

interface Case {
  name: string
  scenario?: ScenarioName
  options?: ScenarioOptions
  timeoutMs?: number
  expected: Expected
  /** Expected URL of each environment, in order, when the case pins them. */
  urls?: RegExp[]
}

const cases: Case[] = [
  {
    name: 'healthy: live, with a deploy preview',
    scenario: 'healthy',
    expected: { status: 'connected', summary: 'Live · deployed 2h ago', environments: healthyEnvs },
    urls: [PREVIEW_URL, LIVE_URL]
  },
  {
    name: 'stale deploys are still live',
    scenario: 'stale',
    expected: { status: 'connected', summary: 'Live · deployed 10d ago', environments: [preview(10 * DAY + 3 * HOUR), production(10 * DAY + LIVE_AGO)] }
  },
  {
    name: 'failed production deploy while the published one still serves',
    scenario: 'production_failing',
    expected: {
      status: 'warning',
      summary: 'Prod deploy failed · previous still live',
      environments: [preview(3 * HOUR), production(30 * MINUTE, 'error', 'Build failed')]
    },
    urls: [PREVIEW_URL, LIVE_URL]
  },
  {
    name: 'production building is not an error',
    scenario: 'building',
    expected: { status: 'connected', summary: 'Live · deployed 2h ago · Building', environments: [preview(3 * HOUR), production(5 * MINUTE, 'connected', 'Building')] }
  },
  {
    name: 'production enqueued is not an error',
    scenario: 'building',
    options: { deployState: 'enqueued' },
    expected: { status: 'connected', summary: 'Live · deployed 2h ago · Building', environments: [preview(3 * HOUR), production(5 * MINUTE, 'connected', 'Building')] }
  },
  {
    name: 'an untrusted deploy awaiting approval is not an error',
    scenario: 'building',
    options: { deployState: 'pending_review' },
    expected: { status: 'connected', summary: 'Live · deployed 2h ago · Awaiting approval', environments: [preview(3 * HOUR), production(5 * MINUTE, 'connected', 'Awaiting approval')] }
  },
  {
    name: 'no successful deploy ever is an error',
    scenario: 'no_successful_deploy',
    expected: {
      status: 'error',
      summary: 'No successful deploy yet',
      environments: [preview(3 * HOUR, 'error', 'Build failed'), production(LIVE_AGO, 'error', 'Build failed')]
    },
    urls: [PREVIEW_URL, DEPLOY_URL]
  },
  { name: 'no deploys at all is an error', scenario: 'healthy', options: { noDeploys: true }, expected: { status: 'error', summary: 'No deploys yet' } },
  {
    name: 'site not found: relink hint',
    scenario: 'healthy',
    options: { unknownSites: [SITE] },
    expected: {
      status: 'error',
      summary: 'Site not found',
      problem: { code: 'not_found', hint: `Netlify has no site ${SITE} for this token: link the site again (or reconnect with a token that can see it)` },
      viewer: { hint: 'Link the Netlify site again' },
      suggestReconnect: true
    }
  },
  { name: 'revoked token', scenario: 'revoked', expected: { failure: 'oauth_revoked', status: 401 } },
  { name: 'unregistered token', expected: { failure: 'oauth_revoked', status: 401 } },
  {
    name: 'rate limited: X-RateLimit-Reset',
    scenario: 'rate_limited',
    options: { retryAfterSeconds: 42 },
    expected: { failure: 'rate_limited', retryAfter: 42, status: 429 }
  },
  { name: 'server error', scenario: 'server_error', expected: { failure: 'unknown', status: 500 } },
  { name: 'bad gateway', scenario: 'server_error', options: { status: 502 }, expected: { failure: 'unknown', status: 502 } },
  { name: 'malformed JSON', scenario: 'malformed', expected: { failure: 'unknown', status: 200 } },
  { name: 'endless body hits the cap', scenario: 'endless', expected: { failure: 'unknown' } },
  { name: 'connection reset mid-body', scenario: 'reset', expected: { failure: 'unknown' } },
  { name: 'hanging provider', scenario: 'hanging', timeoutMs: 300, expected: { failure: 'timeout' } },
  {
    name: 'slow provider still answers',
    scenario: 'slow',
    options: { delayMs: 150 },
    expected: { status: 'connected', summary: 'Live · deployed 2h ago', environments: healthyEnvs }
  }
]

function withoutUrls (result: CheckResult) {
  const urls = result.environments?.map((e) => e.url)
  const environments = result.environments?.map(({ url: _, ...rest }) => rest)
  return { urls, result: { ...result, ...(environments ? { environments } : {}) } }
}

for (const c of cases) {
  t.test(c.name, async (t) => {
    const h = await adapterHarness(t)
    const token = c.scenario ? `nf-${c.name.replace(/\W+/g, '-')}` : 'never-registered'
    if (c.scenario) h.sim.setScenario('netlify', token, c.scenario, c.options)
    const result = await h.run(createNetlifyAdapter({ apiUrl: h.sim.baseUrls.netlify }), CONFIG, { token }, c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs })

    if ('failure' in c.expected) {
      expectFailure(t, result, c.expected)
    } else {
      const split = withoutUrls(result as CheckResult)
      t.strictSame(split.result, c.expected)
      if (c.urls) {
        t.equal(split.urls?.length, c.urls.length)
        c.urls.forEach((pattern, i) => t.match(split.urls?.[i], pattern, `environment ${i} URL`))
      }
      t.notMatch((result as CheckResult).viewer?.hint ?? '', SITE, 'the viewer hint hides the site id')
    }

    const calls = h.sim.calls.filter((call) => call.provider === 'netlify')
    t.ok(calls.length >= 1, 'Netlify was called')
    for (const call of calls) {
      t.equal(call.method, 'GET')
      t.equal(call.tokenFingerprint, fingerprint(token), 'the bearer token is sent')
      t.match(call.url, /^\/netlify\/api\/v1\//, 'under the API base')
    }
    if (!('failure' in c.expected)) {
      t.strictSame(calls.map((call) => `${call.path}?${new URLSearchParams(call.query)}`).sort(), [
        `/sites/${SITE}/deploys?per_page=${RECENT_DEPLOYS}`,
        `/sites/${SITE}?`
      ], 'the site and one page of recent deploys')
    }
  })
}

interface StubDeploy { id: string, state: string, context: string, created_at: string, published_at?: string | null, deploy_ssl_url?: string, branch?: string, skipped?: boolean | null }

const deploy = (minutesAgo: number, context: string, state = 'ready', extra: Partial<StubDeploy> = {}): StubDeploy => ({
  id: `d${minutesAgo}`,
  state,
  context,
  created_at: at(FIXED_NOW - minutesAgo * MINUTE),
  published_at: context === 'production' && state === 'ready' ? at(FIXED_NOW - minutesAgo * MINUTE) : null,
  deploy_ssl_url: `https://d${minutesAgo}--site.netlify.app`,
  ...extra
})
const ok = (body: unknown, headers: Record<string, string> = {}): ProviderResponse => ({ status: 200, headers, body })
const siteBody = (published: StubDeploy | null) => ({ id: SITE, name: 'site', ssl_url: 'https://site.netlify.app', build_settings: { repo_branch: 'main' }, published_deploy: published })

/** Answers from a function of the request URL, for shapes the simulator does not produce. */
async function stubRun (answer: (url: URL) => ProviderResponse) {
  const urls: URL[] = []
  const http = {
    async getJson (url: string | URL) {
      urls.push(new URL(url))
      return answer(new URL(url))
    }
  }
  const result = await createNetlifyAdapter({ apiUrl: 'https://api.example/api/v1' }).check({
    projectId: 'p_test', config: CONFIG, credentials: { token: 't' }, signal: new AbortController().signal, now: FIXED_NOW, http
  }).catch((error: unknown) => {
    if (error instanceof ProviderFailure) return error
    throw error
  })
  return { result, urls }
}

const isSite = (url: URL) => url.pathname.endsWith(SITE)
const siteAnd = (published: StubDeploy | null, deploys: StubDeploy[]) => (url: URL) => isSite(url) ? ok(siteBody(published)) : ok(deploys)

interface StubCase { name: string, answer: (url: URL) => ProviderResponse, expected: CheckResult | { failure: ProviderFailure['code'], retryAfter?: number } }

const live = deploy(120, 'production')
const liveEnv = { name: 'production', status: 'connected', summary: 'Live', url: 'https://site.netlify.app', lastDeployAt: at(FIXED_NOW - 2 * HOUR) } as const

const stubCases: StubCase[] = [
  {
    name: 'first deploy still building: not an error, nothing live yet',
    answer: siteAnd(null, [deploy(3, 'production', 'building')]),
    expected: {
      status: 'warning',
      summary: 'First deploy building',
      environments: [{ name: 'production', status: 'connected', summary: 'Building', url: 'https://d3--site.netlify.app', lastDeployAt: at(FIXED_NOW - 3 * MINUTE) }]
    }
  },
  {
    name: 'a failed first deploy with nothing live is an error',
    answer: siteAnd(null, [deploy(3, 'production', 'error')]),
    expected: {
      status: 'error',
      summary: 'No successful deploy yet',
      environments: [{ name: 'production', status: 'error', summary: 'Build failed', url: 'https://d3--site.netlify.app', lastDeployAt: at(FIXED_NOW - 3 * MINUTE) }]
    }
  },
  {
    name: 'a branch deploy counts as the preview',
    answer: siteAnd(live, [deploy(5, 'branch-deploy', 'error', { branch: 'staging' }), live]),
    expected: {
      status: 'connected',
      summary: 'Live · deployed 2h ago',
      environments: [{ name: 'preview', status: 'error', summary: 'Build failed', url: 'https://d5--site.netlify.app', lastDeployAt: at(FIXED_NOW - 5 * MINUTE) }, liveEnv]
    }
  },
  {
    name: 'skipped deploys are ignored',
    answer: siteAnd(live, [deploy(1, 'production', 'error', { skipped: true }), live]),
    expected: { status: 'connected', summary: 'Live · deployed 2h ago', environments: [liveEnv] }
  },
  {
    name: 'a rejected deploy request is a warning',
    answer: siteAnd(live, [deploy(4, 'production', 'rejected'), live]),
    expected: {
      status: 'warning',
      summary: 'Live · deployed 2h ago · Deploy request rejected',
      environments: [{ ...liveEnv, status: 'warning', summary: 'Deploy request rejected', lastDeployAt: at(FIXED_NOW - 4 * MINUTE) }]
    }
  },
  {
    name: 'an unknown state is a warning',
    answer: siteAnd(live, [deploy(4, 'production', 'frozen'), live]),
    expected: {
      status: 'warning',
      summary: 'Live · deployed 2h ago · Unknown state',
      environments: [{ ...liveEnv, status: 'warning', summary: 'Unknown state', lastDeployAt: at(FIXED_NOW - 4 * MINUTE) }]
    }
  },
  {
    name: 'a locked older deploy is what is live',
    answer: siteAnd(deploy(3 * 24 * 60, 'production'), [deploy(10, 'production'), deploy(3 * 24 * 60, 'production')]),
    expected: { status: 'connected', summary: 'Live · deployed 3d ago', environments: [{ ...liveEnv, lastDeployAt: at(FIXED_NOW - 10 * MINUTE) }] }
  },
  {
    name: 'Retry-After wins over X-RateLimit-Reset',
    answer: () => ({ status: 429, headers: { 'retry-after': '7', 'x-ratelimit-reset': String(FIXED_NOW / 1000 + 90) }, body: { code: 429, message: 'Rate limit exceeded' } }),
    expected: { failure: 'rate_limited', retryAfter: 7 }
  },
  {
    name: 'a 429 without headers waits a minute',
    answer: () => ({ status: 429, headers: {}, body: undefined }),
    expected: { failure: 'rate_limited', retryAfter: 60 }
  },
  { name: 'a 403 is not a status', answer: () => ({ status: 403, headers: {}, body: { code: 403, message: 'Forbidden' } }), expected: { failure: 'unknown' } },
  { name: 'deploys is not an array', answer: (url) => isSite(url) ? ok(siteBody(live)) : ok({ deploys: [] }), expected: { failure: 'unknown' } },
  { name: 'a deploy without created_at', answer: siteAnd(live, [{ ...live, created_at: 'yesterday' }]), expected: { failure: 'unknown' } },
  { name: 'a site without an id', answer: (url) => isSite(url) ? ok({ name: 'x' }) : ok([]), expected: { failure: 'unknown' } }
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
  const previews = Array.from({ length: RECENT_DEPLOYS }, (_, i) => deploy(i + 1, 'deploy-preview'))
  const { result, urls } = await stubRun((url) => isSite(url)
    ? ok(siteBody(deploy(3 * 24 * 60, 'production')))
    : url.searchParams.get('production') === 'true' ? ok([deploy(3 * 24 * 60, 'production')]) : ok(previews))
  t.match(result, {
    status: 'connected',
    summary: 'Live · deployed 3d ago',
    environments: [{ name: 'preview', lastDeployAt: at(FIXED_NOW - MINUTE) }, { name: 'production', lastDeployAt: at(FIXED_NOW - 3 * DAY) }]
  })
  const fallback = urls.find((url) => url.searchParams.has('production'))
  t.ok(fallback, 'a third call asked for production')
  t.strictSame(Object.fromEntries(fallback!.searchParams), { production: 'true', per_page: '1' })
  t.equal(fallback!.pathname, `/api/v1/sites/${SITE}/deploys`)
})

t.test('identity and catalog', async (t) => {
  const adapter = createNetlifyAdapter({ apiUrl: 'https://api.netlify.com/api/v1' })
  t.equal(adapter.key, NETLIFY_KEY)
  t.equal(String(adapter.key), 'netlify')
  t.equal(adapter.label, 'Netlify')
  t.strictSame(adapter.actions, [
    { id: 'deploy', label: 'Deploy', capability: 'deploy' },
    { id: 'rollback', label: 'Roll back', capability: 'deploy' },
    { id: 'disconnect', label: 'Disconnect', capability: 'connect' }
  ])
  t.strictSame(adapter.executors?.map((e) => e.id), adapter.actions.map((a) => a.id), 'one executor per action')
})
