import t from 'tap'
import type { Test } from 'tap'
import { request } from 'undici'
import { fingerprint, startSimulator } from './simulator.js'
import type { Simulator } from './simulator.js'

// A Thursday noon, so "today" and "this week" have room on both sides.
const NOW = Date.parse('2026-11-26T12:00:00.000Z')
const DAY = 86_400_000
const WEEK_START = Date.parse('2026-11-23T00:00:00.000Z')

async function simulator (t: Test, delayMs?: number) {
  let clock = NOW
  const sim = await startSimulator({ now: () => clock, ...(delayMs === undefined ? {} : { delayMs }) })
  t.teardown(() => sim.close())
  return { sim, setClock: (ms: number) => { clock = ms } }
}

async function get (url: string, token?: string, init: RequestInit = {}) {
  const res = await fetch(url, {
    ...init,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...init.headers as Record<string, string> }
  })
  const text = await res.text()
  let body: any
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: res.status, headers: res.headers, text, body }
}

const sanityData = (sim: Simulator, projectId = 'abc123') => sim.baseUrls.sanity.replace('{projectId}', projectId)
const countSince = (sim: Simulator, since: string) =>
  `${sanityData(sim)}/v2025-02-19/data/query/production?query=${encodeURIComponent('count(*[_updatedAt >= $since])')}&$since=${encodeURIComponent(JSON.stringify(since))}`

t.test('base URLs follow the config shapes', async (t) => {
  const { sim } = await simulator(t)
  t.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.same(sim.baseUrls, {
    github: `${sim.url}/github`,
    vercel: `${sim.url}/vercel`,
    sanity: `${sim.url}/sanity/{projectId}`,
    sanityManagement: `${sim.url}/sanity-api`,
    supabase: `${sim.url}/supabase`,
    netlify: `${sim.url}/netlify/api/v1`,
    githubOAuth: `${sim.url}/github-web`,
    vercelOAuth: `${sim.url}/vercel-web`,
    netlifyOAuth: `${sim.url}/netlify-web`
  })
  t.throws(() => sim.setScenario('github', 'x', 'building'), /does not apply/)
  t.throws(() => sim.setScenario('supabase', 'x', 'webhook_disabled'), /does not apply/)
})

t.test('github healthy', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('github', 'gh', 'healthy', { branch: 'main' })
  const gh = sim.baseUrls.github

  const user = await get(`${gh}/user`, 'gh')
  t.equal(user.status, 200)
  t.equal(user.body.login, 'octocat')
  t.equal(user.headers.get('x-oauth-scopes'), 'repo, read:org')
  t.equal(user.headers.get('x-ratelimit-remaining'), '4999')
  t.equal(user.headers.get('x-ratelimit-reset'), String(NOW / 1000 + 3600), 'epoch seconds')
  t.equal(user.headers.get('x-github-api-version-selected'), '2022-11-28')

  const branch = await get(`${gh}/repos/octo/app/branches/main`, 'gh')
  t.equal(branch.status, 200)
  t.equal(branch.body.name, 'main')
  t.match(branch.body.commit.sha, /^[0-9a-f]{40}$/)
  t.equal(branch.body.commit.commit.committer.date, new Date(NOW - 2 * 3_600_000).toISOString())

  const repo = await get(`${gh}/repos/octo/app`, 'gh')
  t.match(repo.body, { full_name: 'octo/app', private: true, visibility: 'private', default_branch: 'main' })

  const commits = await get(`${gh}/repos/octo/app/commits?sha=main&per_page=1`, 'gh')
  t.equal(commits.body.length, 1)
  t.equal(commits.body[0].commit.committer.date, branch.body.commit.commit.committer.date)
  const since = await get(`${gh}/repos/octo/app/commits?since=${new Date(NOW - 3.5 * 3_600_000).toISOString()}`, 'gh')
  t.equal(since.body.length, 2, 'since filters by committer date')

  const missing = await get(`${gh}/repos/octo/app/branches/feature/x`, 'gh')
  t.equal(missing.status, 404)
  t.same(missing.body, { message: 'Branch not found', documentation_url: 'https://docs.github.com/rest/branches/branches#get-a-branch', status: '404' })

  const version = await get(`${gh}/user`, 'gh', { headers: { 'x-github-api-version': '1999-01-01' } })
  t.equal(version.status, 400, 'unsupported API version')
})

t.test('github stale, revoked and unknown tokens', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('github', 'old', 'stale')
  sim.setScenario('github', 'gone', 'revoked')
  const branch = await get(`${sim.baseUrls.github}/repos/o/r/branches/main`, 'old')
  t.equal(branch.body.commit.commit.committer.date, new Date(NOW - 12 * DAY).toISOString())

  const bad = { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' }
  for (const token of ['gone', 'never-registered', undefined]) {
    const res = await get(`${sim.baseUrls.github}/user`, token)
    t.equal(res.status, 401, `token ${token}`)
    t.same(res.body, bad)
    t.equal(res.headers.get('x-oauth-scopes'), null)
  }
})

t.test('github missing_scopes hides private repositories behind 404', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('github', 'narrow', 'missing_scopes')
  sim.setScenario('github', 'narrow-public', 'missing_scopes', { private: false })
  const user = await get(`${sim.baseUrls.github}/user`, 'narrow')
  t.equal(user.status, 200)
  t.equal(user.headers.get('x-oauth-scopes'), 'public_repo')
  const repo = await get(`${sim.baseUrls.github}/repos/o/r`, 'narrow')
  t.equal(repo.status, 404)
  t.equal(repo.body.message, 'Not Found')
  t.equal(repo.headers.get('x-accepted-oauth-scopes'), 'repo')
  t.equal((await get(`${sim.baseUrls.github}/repos/o/r`, 'narrow-public')).status, 200, 'public repos stay visible')
})

t.test('github rate limits', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('github', 'primary', 'rate_limited', { retryAfterSeconds: 120 })
  sim.setScenario('github', 'p429', 'rate_limited', { status: 429 })
  sim.setScenario('github', 'secondary', 'rate_limited', { secondary: true, retryAfterSeconds: 30 })

  const res = await get(`${sim.baseUrls.github}/repos/o/r`, 'primary')
  t.equal(res.status, 403)
  t.equal(res.headers.get('x-ratelimit-remaining'), '0')
  t.equal(res.headers.get('x-ratelimit-reset'), String(NOW / 1000 + 120))
  t.match(res.body, { message: /^API rate limit exceeded/, status: '403' })
  t.equal((await get(`${sim.baseUrls.github}/user`, 'p429')).status, 429)

  const quota = await get(`${sim.baseUrls.github}/rate_limit`, 'primary')
  t.equal(quota.status, 200, '/rate_limit answers while limited')
  t.match(quota.body.resources.core, { remaining: 0, limit: 5000, reset: NOW / 1000 + 120 })

  const second = await get(`${sim.baseUrls.github}/user`, 'secondary')
  t.equal(second.status, 403)
  t.equal(second.headers.get('retry-after'), '30')
  t.not(second.headers.get('x-ratelimit-remaining'), '0')
  t.match(second.body.message, /secondary rate limit/)
})

t.test('server_error and malformed answer per provider', async (t) => {
  const { sim } = await simulator(t)
  for (const p of ['github', 'vercel', 'sanity', 'supabase'] as const) {
    sim.setScenario(p, 'boom', 'server_error')
    sim.setScenario(p, 'junk', 'malformed')
  }
  const gh = await get(`${sim.baseUrls.github}/user`, 'boom')
  t.equal(gh.status, 502)
  t.equal(gh.body, undefined, 'GitHub edge body is not JSON')
  const v = await get(`${sim.baseUrls.vercel}/v2/user`, 'boom')
  t.same(v.body, { error: { code: 'internal_server_error', message: 'An unexpected internal error occurred' } })
  t.equal((await get(`${sim.baseUrls.sanityManagement}/v2021-10-04/hooks/projects/p`, 'boom')).status, 503)
  t.same((await get(`${sim.baseUrls.supabase}/v1/projects/ref`, 'boom')).body, { message: 'Internal Server Error' })

  for (const url of [`${sim.baseUrls.github}/user`, `${sim.baseUrls.vercel}/v6/deployments`, countSince(sim, '2026-11-26T00:00:00Z'), `${sim.baseUrls.supabase}/v1/projects/ref`]) {
    const res = await get(url, 'junk')
    t.equal(res.status, 200)
    t.match(res.headers.get('content-type'), /application\/json/)
    t.throws(() => JSON.parse(res.text), SyntaxError, `${url} body is broken JSON`)
  }
})

t.test('vercel deployments, projects and errors', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('vercel', 'ok', 'healthy', { deploymentsThisWeek: 3 })
  sim.setScenario('vercel', 'old', 'stale')
  const v = sim.baseUrls.vercel

  const user = await get(`${v}/v2/user`, 'ok')
  t.match(user.body, { user: { id: 'usr_sim', username: 'octocat' } })

  const week = await get(`${v}/v6/deployments?projectId=prj_1&since=${WEEK_START}&limit=100`, 'ok')
  t.equal(week.body.deployments.length, 3)
  t.same(week.body.pagination, { count: 3, next: null, prev: NOW - 60_000 })
  t.match(week.body.deployments[0], { uid: /^dpl_/, projectId: 'prj_1', readyState: 'READY', target: 'production', createdAt: NOW - 60_000 })
  t.equal(week.body.deployments[1].target, null, 'preview has a null target')

  const prod = await get(`${v}/v6/deployments?target=production&limit=1`, 'ok')
  t.equal(prod.body.deployments.length, 1)
  t.equal(prod.body.deployments[0].target, 'production')
  const next = prod.body.pagination.next
  t.type(next, 'number')
  const page2 = await get(`${v}/v6/deployments?target=production&limit=1&until=${next}`, 'ok')
  t.ok(page2.body.deployments[0].createdAt < next, 'until is exclusive')
  t.equal((await get(`${v}/v6/deployments?target=preview`, 'ok')).body.deployments.every((d: any) => d.target === null), true)

  const stale = await get(`${v}/v6/deployments?since=${WEEK_START}`, 'old')
  t.equal(stale.body.deployments.length, 0)
  const latest = await get(`${v}/v6/deployments?limit=1`, 'old')
  t.equal(latest.body.deployments[0].createdAt, NOW - 12 * DAY)

  const project = await get(`${v}/v9/projects/my-app?teamId=team_1`, 'ok')
  t.match(project.body, { name: 'my-app', link: { productionBranch: 'main' }, targets: { production: { readyState: 'READY', alias: ['my-app.vercel.app'] } } })

  t.same((await get(`${v}/v2/user`, 'nope')).body, { error: { code: 'forbidden', message: 'Not authorized', invalidToken: true } })
  const missing = await get(`${v}/v2/user`)
  t.equal(missing.status, 403)
  t.equal(missing.body.error.missingToken, true)
})

t.test('vercel production_failing, building, rate_limited, missing_scopes', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('vercel', 'fail', 'production_failing')
  sim.setScenario('vercel', 'build', 'building')
  sim.setScenario('vercel', 'slowdown', 'rate_limited', { retryAfterSeconds: 90 })
  sim.setScenario('vercel', 'scope', 'missing_scopes')
  const v = sim.baseUrls.vercel

  const failing = await get(`${v}/v6/deployments?target=production&limit=1`, 'fail')
  t.match(failing.body.deployments[0], { readyState: 'ERROR', state: 'ERROR', errorCode: 'BUILD_FAILED' })
  const preview = await get(`${v}/v6/deployments?target=preview&limit=1`, 'fail')
  t.equal(preview.body.deployments[0].readyState, 'READY')
  const onlyReady = await get(`${v}/v6/deployments?target=production&state=READY&limit=1`, 'fail')
  t.equal(onlyReady.body.deployments[0].readyState, 'READY', 'state filter')

  const building = await get(`${v}/v9/projects/prj_x`, 'build')
  t.equal(building.body.targets.production.readyState, 'BUILDING')

  const limited = await get(`${v}/v6/deployments`, 'slowdown')
  t.equal(limited.status, 429)
  t.same(limited.body.error.limit, { remaining: 0, reset: NOW / 1000 + 90, resetMs: NOW + 90_000, total: 100 })
  t.equal(limited.body.error.code, 'rate_limited')

  t.equal((await get(`${v}/v2/user`, 'scope')).status, 200, 'the token still identifies its user')
  const denied = await get(`${v}/v6/deployments?teamId=team_1`, 'scope')
  t.equal(denied.status, 403)
  t.equal(denied.body.error.invalidToken, undefined)
  t.match(denied.body.error.message, /team_1/)
})

async function post (url: string, token: string | undefined, body: unknown, raw = false) {
  return get(url, token, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ? String(body) : JSON.stringify(body)
  })
}

t.test('vercel redeploy: POST /v13/deployments', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('vercel', 'ok', 'healthy')
  sim.setScenario('vercel', 'build', 'building')
  const v = sim.baseUrls.vercel
  const [source] = (await get(`${v}/v6/deployments?projectId=prj_1&target=production&limit=1`, 'ok')).body.deployments

  const created = await post(`${v}/v13/deployments?forceNew=1&teamId=team_1`, 'ok',
    { name: 'sim-app', deploymentId: source.uid, target: 'production', meta: { action: 'redeploy' } })
  t.equal(created.status, 200)
  t.match(created.body, {
    id: /^dpl_[0-9a-f]{24}$/,
    name: 'sim-app',
    projectId: 'prj_1',
    url: /^sim-app-[0-9a-f]{9}-sim\.vercel\.app$/,
    readyState: 'QUEUED',
    status: 'QUEUED',
    target: 'production',
    createdAt: NOW,
    alias: [],
    aliasAssigned: false,
    ownerId: 'team_1',
    meta: { action: 'redeploy', githubCommitSha: source.meta.githubCommitSha, githubCommitRef: 'main' }
  })
  t.not(created.body.id, source.uid, 'a new deployment')
  t.equal(created.body.uid, undefined, 'the create endpoint answers `id`, the list `uid`')
  t.equal(created.body.readySubstate, undefined, 'nothing of the source\'s finished state')
  t.equal(created.body.url.slice(8, 17), created.body.id.slice(4, 13), 'the URL carries the id')

  const call = sim.calls.at(-1)!
  t.match(call, { provider: 'vercel', method: 'POST', path: '/v13/deployments', query: { forceNew: '1', teamId: 'team_1' }, tokenFingerprint: fingerprint('ok') })
  t.strictSame(call.body, { name: 'sim-app', deploymentId: source.uid, target: 'production', meta: { action: 'redeploy' } }, 'the body is recorded')
  t.equal(sim.calls[0]!.body, undefined, 'a GET has none')

  const again = await post(`${v}/v13/deployments`, 'ok', { name: 'sim-app', deploymentId: created.body.id })
  t.equal(again.status, 200, 'a redeployment can be redeployed')
  t.equal(again.body.target, null, 'no target: preview')
  t.not(again.body.id, created.body.id)
  t.equal((await post(`${v}/v13/deployments`, 'build', { name: 'sim-app', deploymentId: source.uid })).body.readyState, 'BUILDING')

  const bad = (message: RegExp) => ({ error: { code: 'bad_request', message } })
  const noId = await post(`${v}/v13/deployments`, 'ok', { name: 'sim-app' })
  t.equal(noId.status, 400)
  t.match(noId.body, bad(/deploymentId/))
  t.match((await post(`${v}/v13/deployments`, 'ok', { deploymentId: source.uid })).body, bad(/`name`/))
  t.match((await post(`${v}/v13/deployments`, 'ok', { name: 'x', deploymentId: source.uid, target: 'preview' })).body, bad(/`target`/))
  t.match((await post(`${v}/v13/deployments`, 'ok', { name: 'x', deploymentId: source.uid, meta: { n: 1 } })).body, bad(/`meta`/))
  const notJson = await post(`${v}/v13/deployments`, 'ok', 'name=x', true)
  t.equal(notJson.status, 400)
  t.equal(sim.calls.at(-1)!.body, 'name=x', 'a body that is not JSON is recorded as text')
  const unknown = await post(`${v}/v13/deployments`, 'ok', { name: 'sim-app', deploymentId: 'dpl_nope' })
  t.equal(unknown.status, 404)
  t.same(unknown.body, { error: { code: 'not_found', message: 'The deployment could not be found.' } })
})

t.test('vercel redeploy honours the token scenarios', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('vercel', 'gone', 'revoked')
  sim.setScenario('vercel', 'slowdown', 'rate_limited', { retryAfterSeconds: 12 })
  sim.setScenario('vercel', 'boom', 'server_error')
  sim.setScenario('vercel', 'scope', 'missing_scopes')
  const url = `${sim.baseUrls.vercel}/v13/deployments`
  const body = { name: 'sim-app', deploymentId: 'dpl_any' }
  t.same((await post(url, 'gone', body)).body, { error: { code: 'forbidden', message: 'Not authorized', invalidToken: true } })
  const limited = await post(url, 'slowdown', body)
  t.equal(limited.status, 429)
  t.equal(limited.body.error.limit.reset, NOW / 1000 + 12)
  t.equal((await post(url, 'boom', body)).status, 500)
  const denied = await post(url, 'scope', body)
  t.equal(denied.status, 403)
  t.equal(denied.body.error.invalidToken, undefined)
  t.equal(sim.callCount({ method: 'POST', path: '/v13/deployments' }), 4, 'every attempt is recorded')
})

t.test('vercel unknown and never-deployed projects', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('vercel', 'ok', 'healthy', { unknownProjects: ['ghost', 'prj_ghost'] })
  sim.setScenario('vercel', 'fresh', 'healthy', { neverDeployed: true })
  const v = sim.baseUrls.vercel
  for (const path of ['/v9/projects/ghost', '/v9/projects/prj_ghost', '/v6/deployments?projectId=ghost']) {
    const res = await get(`${v}${path}`, 'ok')
    t.equal(res.status, 404, path)
    t.same(res.body, { error: { code: 'not_found', message: 'Project not found' } })
  }
  t.equal((await get(`${v}/v9/projects/real-app`, 'ok')).status, 200, 'other projects exist')

  const empty = await get(`${v}/v6/deployments?projectId=prj_new&limit=100`, 'fresh')
  t.same(empty.body, { pagination: { count: 0, next: null, prev: null }, deployments: [] })
  const project = await get(`${v}/v9/projects/new-app`, 'fresh')
  t.match(project.body, { name: 'new-app', latestDeployments: [], targets: {} })
})

t.test('sanity data and hooks', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('sanity', 'ok', 'healthy', { docsUpdatedToday: 7 })
  sim.setScenario('sanity', 'old', 'stale')
  sim.setScenario('sanity', 'off', 'webhook_disabled')
  sim.setScenario('sanity', 'viewer', 'missing_scopes')
  sim.setScenario('sanity', 'busy', 'rate_limited', { retryAfterSeconds: 2 })

  const today = await get(countSince(sim, '2026-11-26T00:00:00Z'), 'ok')
  t.same(today.body, { query: 'count(*[_updatedAt >= $since])', result: 7, syncTags: [], ms: 1 })
  t.equal((await get(countSince(sim, '2026-11-26T00:00:00Z'), 'old')).body.result, 0)
  t.equal((await get(countSince(sim, '2026-11-01T00:00:00Z'), 'old')).body.result, 20)
  t.equal(sim.calls.at(-1)!.url.startsWith('/sanity/abc123/'), true, 'project id comes from the template')

  const noParam = await get(`${sanityData(sim)}/v2025-02-19/data/query/production?query=${encodeURIComponent('count(*[_updatedAt >= $since])')}`, 'ok')
  t.equal(noParam.status, 400)
  const other = await get(`${sanityData(sim)}/v2025-02-19/data/query/production?query=*[_type=="post"]`, 'ok')
  t.equal(other.body.error.type, 'queryParseError')

  const hooks = `${sim.baseUrls.sanityManagement}/v2021-10-04/hooks/projects/abc123`
  const active = await get(hooks, 'ok')
  t.match(active.body, [{ type: 'document', projectId: 'abc123', isDisabled: false, deletedAt: null }])
  t.equal((await get(hooks, 'off')).body[0].isDisabled, true)
  t.equal((await get(hooks, 'viewer')).status, 403)

  const unauth = await get(hooks, 'nope')
  t.same(unauth.body, { errorCode: 'SIO-401-ANF', message: 'Session not found', statusCode: 401, error: 'Unauthorized' })
  t.equal(unauth.status, 401)
  const busy = await get(countSince(sim, '2026-11-26T00:00:00Z'), 'busy')
  t.equal(busy.status, 429)
  t.equal(busy.headers.get('retry-after'), '2')
})

t.test('sanity project (studio host)', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('sanity', 'ok', 'healthy')
  sim.setScenario('sanity', 'local', 'healthy', { studioHost: null })
  sim.setScenario('sanity', 'named', 'healthy', { studioHost: 'acme-blog', externalStudioHost: 'https://acme.example/studio' })
  sim.setScenario('sanity', 'viewer', 'missing_scopes')
  const project = `${sim.baseUrls.sanityManagement}/v2021-06-07/projects/abc123`

  const res = await get(project, 'ok')
  t.equal(res.status, 200)
  t.match(res.body, {
    id: 'abc123',
    displayName: String,
    studioHost: 'abc123-studio',
    isBlocked: false,
    isDisabled: false,
    organizationId: String,
    metadata: { color: /^#[0-9a-f]{6}$/ },
    members: [{ isRobot: true, isCurrentUser: true }, { isRobot: false }]
  })
  t.equal(res.body.metadata.externalStudioHost, undefined, 'no external studio by default')
  t.equal((await get(project, 'local')).body.studioHost, null, 'not deployed')
  t.match((await get(project, 'named')).body, { studioHost: 'acme-blog', metadata: { externalStudioHost: 'https://acme.example/studio' } })

  const denied = await get(project, 'viewer')
  t.equal(denied.status, 403)
  t.match(denied.body, { statusCode: 403, error: 'Forbidden', message: /sanity\.project\.read/ })
  t.match((await get(`${sim.baseUrls.sanityManagement}/v2021-10-04/hooks/projects/abc123`, 'viewer')).body.message, /webhooks\.read/)
  t.equal((await get(project, 'nope')).status, 401)
  t.equal((await get(`${sim.baseUrls.sanityManagement}/2021-06-07/projects/abc123`, 'ok')).status, 404, 'the version needs its v')
})

t.test('supabase project and health', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('supabase', 'ok', 'healthy')
  sim.setScenario('supabase', 'sick', 'unhealthy_service')
  sim.setScenario('supabase', 'zzz', 'paused')
  sim.setScenario('supabase', 'busy', 'rate_limited', { retryAfterSeconds: 42 })
  const s = sim.baseUrls.supabase

  const project = await get(`${s}/v1/projects/ref1`, 'ok')
  t.match(project.body, { ref: 'ref1', status: 'ACTIVE_HEALTHY', database: { host: 'db.ref1.supabase.co' } })
  t.equal(project.headers.get('x-ratelimit-limit'), '120')
  t.equal((await get(`${s}/v1/projects/ref1`, 'zzz')).body.status, 'INACTIVE')

  t.equal((await get(`${s}/v1/projects/ref1/health`, 'ok')).status, 400, 'services is required')
  t.equal((await get(`${s}/v1/projects/ref1/health?services=nope`, 'ok')).status, 400)
  const health = await get(`${s}/v1/projects/ref1/health?services=auth,db,rest`, 'ok')
  t.match(health.body, [
    { name: 'auth', healthy: true, status: 'ACTIVE_HEALTHY', info: { name: 'GoTrue' } },
    { name: 'db', healthy: true, status: 'ACTIVE_HEALTHY' },
    { name: 'rest', status: 'ACTIVE_HEALTHY', info: { db_schema: String } }
  ])
  const sick = await get(`${s}/v1/projects/ref1/health?services=auth,db`, 'sick')
  t.same(sick.body.map((x: any) => x.status), ['ACTIVE_HEALTHY', 'UNHEALTHY'])

  t.same((await get(`${s}/v1/projects/ref1`, 'nope')).body, { message: 'Unauthorized' })
  const busy = await get(`${s}/v1/projects/ref1`, 'busy')
  t.equal(busy.status, 429)
  t.equal(busy.headers.get('x-ratelimit-reset'), '42', 'seconds remaining, not epoch')
  t.equal(busy.headers.get('x-ratelimit-remaining'), '0')
})

t.test('netlify: the open-api shapes, Link paging, errors and rate-limit headers', async (t) => {
  const { sim } = await simulator(t)
  const site = '3970e0fe-8564-4903-9a55-c5f8de49fb8b'
  sim.setScenario('netlify', 'nf', 'healthy')
  sim.setScenario('netlify', 'nf-limited', 'rate_limited', { retryAfterSeconds: 30 })
  const get = (path: string, token = 'nf') => fetch(`${sim.baseUrls.netlify}${path}`, { headers: { authorization: `Bearer ${token}` } })

  const siteRes = await get(`/sites/${site}`)
  t.equal(siteRes.status, 200)
  t.equal(siteRes.headers.get('x-ratelimit-limit'), '500')
  t.equal(siteRes.headers.get('x-ratelimit-reset'), String(Math.ceil(NOW / 1000) + 60), 'epoch seconds (default window 60 s)')
  const body = await siteRes.json() as { id: string, published_deploy: { id: string, state: string, context: string }, build_settings: { repo_branch: string } }
  t.match(body, { id: site, published_deploy: { state: 'ready', context: 'production' }, build_settings: { repo_branch: 'main' } })

  const page1 = await get(`/sites/${site}/deploys?per_page=2`)
  const deploys = await page1.json() as { id: string, site_id: string }[]
  t.ok(Array.isArray(deploys), 'a bare array')
  t.equal(deploys.length, 2)
  t.equal(deploys[0]!.id, body.published_deploy.id, 'newest first: the live deploy')
  const next = (page: number) => `<https://api.netlify.com/api/v1/sites/${site}/deploys?per_page=2&page=${page}>`
  t.equal(page1.headers.get('link'), `${next(2)}; rel="next", ${next(3)}; rel="last"`, 'five deploys, two a page')
  const production = await (await get(`/sites/${site}/deploys?production=true&state=ready`)).json() as { context: string, state: string }[]
  t.ok(production.length === 3 && production.every((d) => d.context === 'production' && d.state === 'ready'), 'filters')

  t.strictSame(await (await get(`/sites/${site}`, 'nobody')).json(), { code: 401, message: 'Access Denied' }, 'the error model')
  const limited = await get(`/sites/${site}`, 'nf-limited')
  t.equal(limited.status, 429)
  t.equal(limited.headers.get('x-ratelimit-remaining'), '0')
  t.equal(limited.headers.get('x-ratelimit-reset'), String(Math.ceil(NOW / 1000) + 30))
  t.equal((await fetch(`${sim.url}/netlify/sites/${site}`, { headers: { authorization: 'Bearer nf' } })).status, 404, 'only under /api/v1')

  t.equal(sim.callCount({ provider: 'netlify', method: 'POST' }), 0)
  const restore = await fetch(`${sim.baseUrls.netlify}/sites/${site}/deploys/${deploys[1]!.id}/restore`, { method: 'POST', headers: { authorization: 'Bearer nf' } })
  t.equal(restore.status, 201)
  const build = await fetch(`${sim.baseUrls.netlify}/sites/${site}/builds?branch=feature`, { method: 'POST', headers: { authorization: 'Bearer nf' } })
  t.match(await build.json(), { id: /^[0-9a-f]{24}$/, deploy_id: /^[0-9a-f]{24}$/, done: false })
  t.equal(sim.callCount({ provider: 'netlify', method: 'POST', path: `/sites/${site}/builds` }), 1, 'counted per endpoint')
})

t.test('timestamps follow the injected clock', async (t) => {
  const { sim, setClock } = await simulator(t)
  sim.setScenario('github', 'gh', 'healthy')
  setClock(NOW + DAY)
  const branch = await get(`${sim.baseUrls.github}/repos/o/r/branches/main`, 'gh')
  t.equal(branch.body.commit.commit.committer.date, new Date(NOW + DAY - 2 * 3_600_000).toISOString())
})

t.test('calls are recorded without the token', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('github', 'secret-token', 'healthy')
  await get(`${sim.baseUrls.github}/user?x=1`, 'secret-token')
  await get(`${sim.baseUrls.github}/repos/o/r`, 'secret-token')
  await get(`${sim.baseUrls.vercel}/v2/user`, 'other')
  t.equal(sim.callCount(), 3)
  t.equal(sim.callCount({ provider: 'github' }), 2)
  t.equal(sim.callCount({ token: 'secret-token', path: /^\/repos\// }), 1)
  t.equal(sim.callCount({ path: '/user', method: 'get' }), 1)
  const first = sim.calls[0]!
  t.match(first, { provider: 'github', method: 'GET', path: '/user', query: { x: '1' }, scenario: 'healthy', at: NOW })
  t.equal(first.tokenFingerprint, fingerprint('secret-token'))
  t.equal(first.headers.authorization, undefined)
  t.notMatch(JSON.stringify(sim.calls), 'secret-token')
  t.equal(sim.calls[2]!.scenario, 'unregistered')

  sim.reset()
  t.equal(sim.callCount(), 0)
  t.equal((await get(`${sim.baseUrls.github}/user`, 'secret-token')).status, 401, 'reset forgets scenarios')
})

t.test('slow, latency and the global delay', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('supabase', 'slow', 'slow', { delayMs: 150 })
  sim.setScenario('supabase', 'fast', 'healthy')
  sim.setScenario('supabase', 'far', 'paused', { latencyMs: 150 })
  // The simulator records how long it held each answer back; no clock is read here.
  const heldBack = async (token: string) => {
    const res = await get(`${sim.baseUrls.supabase}/v1/projects/r`, token)
    t.equal(res.status, 200)
    return sim.calls.at(-1)!.delayMs
  }
  t.equal(await heldBack('slow'), 150, 'slow waits delayMs')
  t.equal(await heldBack('fast'), 0, 'healthy answers at once')
  t.equal(await heldBack('far'), 150, 'latencyMs delays any scenario')
  sim.setDelay(150)
  t.equal(await heldBack('fast'), 150, 'global delay applies to everyone')
})

t.test('hanging and endless are abortable; reset breaks the socket', async (t) => {
  const { sim } = await simulator(t)
  sim.setScenario('github', 'hang', 'hanging')
  sim.setScenario('vercel', 'forever', 'endless')
  sim.setScenario('sanity', 'cut', 'reset')

  await t.rejects(fetch(`${sim.baseUrls.github}/user`, {
    headers: { authorization: 'Bearer hang' },
    signal: AbortSignal.timeout(100)
  }), { name: 'TimeoutError' })

  // Aborted only once the headers are in: the body, not the connection, is what never ends.
  const abort = new AbortController()
  const res = await fetch(`${sim.baseUrls.vercel}/v6/deployments`, { headers: { authorization: 'Bearer forever' }, signal: abort.signal })
  t.equal(res.status, 200)
  const text = res.text()
  setTimeout(() => abort.abort(), 100)
  await t.rejects(text, { name: 'AbortError' }, 'the body never ends on its own')

  const cut = await request(countSince(sim, '2026-11-26T00:00:00Z'), { headers: { authorization: 'Bearer cut' } })
  t.equal(cut.statusCode, 200, 'headers arrive first')
  await t.rejects(cut.body.text(), { code: 'UND_ERR_SOCKET' }, 'then the socket dies mid-body')
})

t.test('close() ends hanging and endless requests', async (t) => {
  const sim = await startSimulator({ now: () => NOW })
  sim.setScenario('github', 'hang', 'hanging')
  sim.setScenario('vercel', 'forever', 'endless')
  // Settled up front: the rejections land while close() is still being awaited.
  const outcome = (p: Promise<unknown>) => p.then(() => 'settled normally', (err: Error) => err)
  const hanging = outcome(fetch(`${sim.baseUrls.github}/user`, { headers: { authorization: 'Bearer hang' } }))
  const endless = await fetch(`${sim.baseUrls.vercel}/v6/deployments`, { headers: { authorization: 'Bearer forever' } })
  t.equal(endless.status, 200)
  const body = outcome(endless.text())
  // Until the hanging request has arrived; a close() that waited for clients would never return.
  while (sim.callCount({ provider: 'github' }) < 1) await new Promise((resolve) => setImmediate(resolve))
  await sim.close()
  t.type(await hanging, Error, 'hanging request fails')
  t.type(await body, Error, 'endless body fails')
  await t.rejects(fetch(`${sim.url}/github/user`), 'nothing listens any more')
  await sim.close()
})
