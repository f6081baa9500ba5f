import t from 'tap'
import { adapterHarness, FIXED_NOW, expectFailure } from './harness.js'
import { createGithubAdapter, GITHUB_ACCEPT, GITHUB_API_VERSION, type GithubConfig } from '../../adapters/github/status.js'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { CheckResult } from '../../src/provider-kit/manifest.js'
import type { ProviderResponse } from '../../src/provider-kit/http.js'
import { fingerprint, type ScenarioName, type ScenarioOptions } from '../simulator/simulator.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const CONFIG: GithubConfig = { owner: 'acme-corp', repo: 'secret-app', branch: 'main' }

type Expected = CheckResult | { failure: ProviderFailure['code'], retryAfter?: number, status?: number }

interface Case {
  name: string
  /** undefined: the token is never registered. */
  scenario?: ScenarioName
  options?: ScenarioOptions
  config?: GithubConfig
  timeoutMs?: number
  expected: Expected
}

const revokeRepo = { status: 'warning', summary: 'Missing scopes: repo', problem: { code: 'missing_scopes', hint: 'Reconnect GitHub and grant the repo scope' }, suggestReconnect: true } as const

const cases: Case[] = [
  {
    name: 'healthy private repo',
    scenario: 'healthy',
    expected: { status: 'connected', summary: 'Linked to main · Last push 2h ago', viewer: { summary: 'Private repo · Last push 2h ago' } }
  },
  {
    name: 'healthy public repo needs no viewer variant',
    scenario: 'healthy',
    options: { private: false },
    expected: { status: 'connected', summary: 'Linked to main · Last push 2h ago' }
  },
  {
    name: 'stale: 12 days without a push',
    scenario: 'stale',
    expected: { status: 'warning', summary: 'Linked to main · No push in 12 days', viewer: { summary: 'Private repo · No push in 12 days' } }
  },
  {
    name: 'just under 7 days is still connected',
    scenario: 'healthy',
    options: { lastCommitAgeMs: 7 * DAY - 1 },
    expected: { status: 'connected', summary: 'Linked to main · Last push 6d ago', viewer: { summary: 'Private repo · Last push 6d ago' } }
  },
  {
    name: 'exactly 7 days is stale',
    scenario: 'healthy',
    options: { lastCommitAgeMs: 7 * DAY },
    expected: { status: 'warning', summary: 'Linked to main · No push in 7 days', viewer: { summary: 'Private repo · No push in 7 days' } }
  },
  {
    name: 'branch with slashes and a reserved character',
    scenario: 'healthy',
    options: { branch: 'release/2026#1' },
    config: { ...CONFIG, branch: 'release/2026#1' },
    expected: { status: 'connected', summary: 'Linked to release/2026#1 · Last push 2h ago', viewer: { summary: 'Private repo · Last push 2h ago' } }
  },
  {
    name: 'missing branch',
    scenario: 'healthy',
    config: { ...CONFIG, branch: 'develop' },
    expected: { status: 'error', summary: 'Branch develop not found', viewer: { summary: 'Branch not found' } }
  },
  { name: 'revoked token', scenario: 'revoked', expected: { failure: 'oauth_revoked', status: 401 } },
  { name: 'unregistered token', expected: { failure: 'oauth_revoked', status: 401 } },
  { name: 'missing repo scope on a private repo', scenario: 'missing_scopes', expected: revokeRepo },
  {
    name: 'public_repo suffices for a public repo',
    scenario: 'missing_scopes',
    options: { private: false },
    expected: { status: 'connected', summary: 'Linked to main · Last push 2h ago' }
  },
  {
    name: 'primary rate limit waits for x-ratelimit-reset',
    scenario: 'rate_limited',
    options: { retryAfterSeconds: 120 },
    expected: { failure: 'rate_limited', retryAfter: 120, status: 403 }
  },
  {
    name: 'primary rate limit as 429',
    scenario: 'rate_limited',
    options: { status: 429, retryAfterSeconds: 75 },
    expected: { failure: 'rate_limited', retryAfter: 75, status: 429 }
  },
  {
    name: 'secondary rate limit honours retry-after',
    scenario: 'rate_limited',
    options: { secondary: true, retryAfterSeconds: 30 },
    expected: { failure: 'rate_limited', retryAfter: 30, status: 403 }
  },
  { name: 'edge 502 in HTML', scenario: 'server_error', expected: { failure: 'unknown', status: 502 } },
  { name: 'API 503 in JSON', scenario: 'server_error', options: { status: 503 }, expected: { failure: 'unknown', status: 503 } },
  { name: 'malformed JSON', scenario: 'malformed', expected: { failure: 'unknown', status: 200 } },
  { name: 'endless body hits the cap', scenario: 'endless', expected: { failure: 'unknown' } },
  { name: 'connection reset mid-body', scenario: 'reset', expected: { failure: 'unknown' } },
  { name: 'hanging provider', scenario: 'hanging', timeoutMs: 300, expected: { failure: 'timeout' } },
  {
    name: 'slow provider still answers',
    scenario: 'slow',
    options: { delayMs: 150 },
    expected: { status: 'connected', summary: 'Linked to main · Last push 2h ago', viewer: { summary: 'Private repo · Last push 2h ago' } }
  }
]

for (const c of cases) {
  t.test(c.name, async (t) => {
    const h = await adapterHarness(t)
    const token = c.scenario ? `gh-${c.name.replace(/\W+/g, '-')}` : 'never-registered'
    if (c.scenario) h.sim.setScenario('github', token, c.scenario, c.options)
    const config = c.config ?? CONFIG
    const result = await h.run(createGithubAdapter({ apiUrl: h.sim.baseUrls.github }), config, { token }, c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs })

    if ('failure' in c.expected) {
      expectFailure(t, result, c.expected)
    } else {
      t.strictSame(result, c.expected)
      const shown = result as CheckResult
      for (const secret of [config.owner, config.repo, config.branch]) {
        if (shown.viewer?.summary) t.notMatch(shown.viewer.summary, secret, `viewer summary hides ${secret}`)
        if (shown.problem?.hint) t.notMatch(shown.problem.hint, secret, `hint hides ${secret}`)
      }
    }

    const calls = h.sim.calls.filter((call) => call.provider === 'github')
    const repoPath = `/repos/${config.owner}/${config.repo}`
    const paths = ['/user', repoPath, `${repoPath}/branches/${config.branch.split('/').map(encodeURIComponent).join('/')}`]
    if ('failure' in c.expected) {
      // A failed call ends the check at once; its siblings may not have reached the simulator yet.
      t.ok(calls.length >= 1 && calls.every((call) => paths.includes(call.path)), 'only the three known calls')
    } else {
      t.strictSame(calls.map((call) => call.path).sort(), paths.sort(), 'user, repository and branch, once each')
    }
    for (const call of calls) {
      t.equal(call.headers['x-github-api-version'], GITHUB_API_VERSION)
      t.equal(call.headers.accept, GITHUB_ACCEPT)
      t.ok(call.headers['user-agent'], 'GitHub rejects requests without a User-Agent')
      t.equal(call.tokenFingerprint, fingerprint(token), 'the bearer token is sent')
    }
  })
}

t.test('the branch is encoded per segment, slashes kept', async (t) => {
  const h = await adapterHarness(t)
  h.sim.setScenario('github', 'tok', 'healthy', { branch: 'release/2026#1' })
  await h.run(createGithubAdapter({ apiUrl: h.sim.baseUrls.github }), { ...CONFIG, branch: 'release/2026#1' }, { token: 'tok' })
  const branchCall = h.sim.calls.find((call) => call.path.includes('/branches/'))
  t.equal(branchCall?.url, '/github/repos/acme-corp/secret-app/branches/release/2026%231')
  t.equal(GITHUB_API_VERSION, '2022-11-28', 'pinned version')
})

/** Answers the three calls from a table, for shapes the simulator does not produce. */
function stubRun (overrides: { user?: Partial<ProviderResponse>, repo?: Partial<ProviderResponse>, branch?: Partial<ProviderResponse> }) {
  const defaults: Record<'user' | 'repo' | 'branch', ProviderResponse> = {
    user: { status: 200, headers: { 'x-oauth-scopes': 'repo' }, body: { login: 'octocat' } },
    repo: { status: 200, headers: {}, body: { private: true } },
    branch: { status: 200, headers: {}, body: { commit: { commit: { committer: { date: new Date(FIXED_NOW - 3 * HOUR).toISOString() } } } } }
  }
  const pick = (url: string) => url.endsWith('/user') ? 'user' : url.includes('/branches/') ? 'branch' : 'repo'
  const http = {
    async getJson (url: string | URL) {
      const which = pick(String(url))
      return { ...defaults[which], ...overrides[which] }
    }
  }
  return createGithubAdapter({ apiUrl: 'https://api.example' }).check({
    projectId: 'p_test', config: CONFIG, credentials: { token: 't' }, signal: new AbortController().signal, now: FIXED_NOW, http
  }).catch((error: unknown) => {
    if (error instanceof ProviderFailure) return error
    throw error
  })
}

const at = (ms: number) => new Date(ms).toISOString()

const stubCases: Array<{ name: string, overrides: Parameters<typeof stubRun>[0], expected: Expected }> = [
  {
    name: 'fine-grained token lacking a permission names what GitHub accepts',
    overrides: {
      user: { headers: {} },
      branch: { status: 403, headers: { 'x-accepted-github-permissions': 'contents=read', 'x-ratelimit-remaining': '4999' }, body: { message: 'Resource not accessible by personal access token' } }
    },
    expected: { status: 'warning', summary: 'Missing permissions', problem: { code: 'missing_permissions', hint: 'Reconnect GitHub and grant the token these permissions: contents=read' }, suggestReconnect: true }
  },
  {
    name: 'a 403 without permission headers still asks for a reconnect',
    overrides: { repo: { status: 403, body: { message: 'Resource not accessible by integration' } } },
    expected: { status: 'warning', summary: 'Missing permissions', problem: { code: 'missing_permissions', hint: 'Reconnect GitHub and grant the token access to the linked repository' }, suggestReconnect: true }
  },
  {
    name: 'repository 404 with the repo scope',
    overrides: { repo: { status: 404, body: { message: 'Not Found' } }, branch: { status: 404, body: { message: 'Not Found' } } },
    expected: { status: 'error', summary: 'Repository not found', problem: { code: 'not_found', hint: 'Check the owner and repository name of the link, or reconnect GitHub with access to it' } }
  },
  {
    name: 'repository 404 for a fine-grained token (no scopes header)',
    overrides: { user: { headers: {} }, repo: { status: 404 }, branch: { status: 404 } },
    expected: { status: 'error', summary: 'Repository not found', problem: { code: 'not_found', hint: 'Check the owner and repository name of the link, or reconnect GitHub with access to it' } }
  },
  {
    name: 'public repo with neither public_repo nor repo',
    overrides: { user: { headers: { 'x-oauth-scopes': 'read:user' } }, repo: { body: { private: false } } },
    expected: { status: 'warning', summary: 'Missing scopes: public_repo', problem: { code: 'missing_scopes', hint: 'Reconnect GitHub and grant the public_repo scope' }, suggestReconnect: true }
  },
  {
    name: 'an empty scopes header on a private repo',
    overrides: { user: { headers: { 'x-oauth-scopes': '' } } },
    expected: revokeRepo
  },
  {
    name: 'author date when the committer is null',
    overrides: { branch: { body: { commit: { commit: { committer: null, author: { date: at(FIXED_NOW - 5 * 60_000) } } } } } },
    expected: { status: 'connected', summary: 'Linked to main · Last push 5m ago', viewer: { summary: 'Private repo · Last push 5m ago' } }
  },
  { name: '401 on one call only', overrides: { branch: { status: 401 } }, expected: { failure: 'oauth_revoked', status: 401 } },
  {
    name: 'rate limit told by the message alone',
    overrides: { user: { status: 403, body: { message: 'API rate limit exceeded for 1.2.3.4.' } } },
    expected: { failure: 'rate_limited', retryAfter: 60, status: 403 }
  },
  { name: 'bare 429', overrides: { repo: { status: 429 } }, expected: { failure: 'rate_limited', retryAfter: 60, status: 429 } },
  {
    name: 'retry-after as an HTTP date',
    overrides: { repo: { status: 429, headers: { 'retry-after': new Date(FIXED_NOW + 90_000).toUTCString() } } },
    expected: { failure: 'rate_limited', retryAfter: 90, status: 429 }
  },
  {
    name: 'secondary limit without retry-after ignores the primary reset',
    overrides: { repo: { status: 403, headers: { 'x-ratelimit-remaining': '4000', 'x-ratelimit-reset': String(FIXED_NOW / 1000 + 3000) }, body: { message: 'You have exceeded a secondary rate limit.' } } },
    expected: { failure: 'rate_limited', retryAfter: 60, status: 403 }
  },
  { name: 'unsupported API version (400)', overrides: { user: { status: 400 } }, expected: { failure: 'unknown', status: 400 } },
  { name: 'repository without a private flag', overrides: { repo: { body: { name: 'x' } } }, expected: { failure: 'unknown' } },
  { name: 'branch without dates', overrides: { branch: { body: { commit: { sha: 'abc' } } } }, expected: { failure: 'unknown' } },
  { name: 'user body that is not an object', overrides: { user: { body: ['x'] } }, expected: { failure: 'unknown' } }
]

t.test('shapes the simulator does not produce', async (t) => {
  for (const c of stubCases) {
    const result = await stubRun(c.overrides)
    if ('failure' in c.expected) {
      expectFailure(t, result, c.expected, c.name)
    } else {
      t.strictSame(result, c.expected, c.name)
    }
  }
})

t.test('actions and identity', async (t) => {
  const adapter = createGithubAdapter({ apiUrl: 'https://api.github.com' })
  t.equal(adapter.key, 'github')
  t.equal(adapter.label, 'GitHub')
  t.strictSame(adapter.actions, [
    { id: 'push', label: 'Push', capability: 'push' },
    { id: 'pull', label: 'Pull', capability: 'push' },
    { id: 'sync', label: 'Sync', capability: 'push' },
    { id: 'disconnect', label: 'Disconnect', capability: 'connect' }
  ])
})
