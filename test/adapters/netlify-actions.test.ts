import t from 'tap'
import type { Test } from 'tap'
import { actionHarness, executor } from './actions-harness.js'
import { createNetlifyExecutors, DEPLOY_SCAN_LIMIT, NETLIFY_DISCONNECT_NOTE } from '../../adapters/netlify/actions.js'
import { createNetlifyAdapter } from '../../adapters/netlify/status.js'
import { NETLIFY_KEY } from '../../adapters/netlify/config.js'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { ProviderHttp } from '../../src/provider-kit/http.js'
import { fingerprint, type ScenarioName, type ScenarioOptions, type Simulator } from '../simulator/simulator.js'

const TOKEN = 'nfp_tok_1'
const SITE = '9d3f1c1e-2b4a-4c55-8e0f-7a6b5c4d3e2f'
const link = (config: Record<string, unknown> = { siteId: SITE }, token = TOKEN) => ({ config, credentials: { token } })
const BUILDS = `/sites/${SITE}/builds`
const HEX24 = /^[0-9a-f]{24}$/

async function setup (t: Test, scenario: ScenarioName = 'healthy', options: ScenarioOptions = {}, token = TOKEN) {
  const h = await actionHarness(t, NETLIFY_KEY)
  h.sim.setScenario('netlify', token, scenario, options)
  const executors = createNetlifyExecutors({ apiUrl: h.sim.baseUrls.netlify })
  return { h, executors, deploy: executor(executors, 'deploy'), rollback: executor(executors, 'rollback') }
}

interface Listed { id: string, state: string, context: string, branch: string, created_at: string, published_at: string | null }

/** What the simulator answers, asked directly: the deploys an action must pick from. */
async function listed (sim: Simulator, query = '', token = TOKEN) {
  const res = await fetch(`${sim.baseUrls.netlify}/sites/${SITE}/deploys?${query}`, { headers: { authorization: `Bearer ${token}` } })
  return (await res.json()) as Listed[]
}
async function published (sim: Simulator, token = TOKEN) {
  const res = await fetch(`${sim.baseUrls.netlify}/sites/${SITE}`, { headers: { authorization: `Bearer ${token}` } })
  return ((await res.json()) as { published_deploy: Listed | null }).published_deploy
}

const callsWith = (sim: Simulator, token = TOKEN) => sim.calls.filter((c) => c.tokenFingerprint === fingerprint(token))
const restorePath = (deployId: string) => `/sites/${SITE}/deploys/${deployId}/restore`
const posts = (sim: Simulator) => sim.callCount({ provider: 'netlify', method: 'POST' })

t.test('one executor per catalog action', async (t) => {
  const adapter = createNetlifyAdapter({ apiUrl: 'http://127.0.0.1:9/netlify/api/v1' })
  t.strictSame(adapter.executors?.map((e) => e.id), adapter.actions.map((a) => a.id))
  t.strictSame(adapter.executors?.map(({ id, mode, retryable, needsLink }) => ({ id, mode, retryable, needsLink })), [
    { id: 'deploy', mode: 'inline', retryable: false, needsLink: true },
    { id: 'rollback', mode: 'inline', retryable: false, needsLink: true },
    { id: 'disconnect', mode: 'inline', retryable: true, needsLink: false }
  ])
})

t.test('deploy check', async (t) => {
  const { deploy } = await setup(t)
  const check = deploy.check!
  t.equal(check({}, 'owner'), undefined, 'no params: a preview')
  t.equal(check({}, 'editor'), undefined, 'editors may deploy previews')
  t.equal(check({ target: 'preview', branch: 'feature/x' }, 'editor'), undefined)
  t.equal(check({ target: 'production' }, 'owner'), undefined)
  t.equal(check({ target: 'production', clearCache: true }, 'admin'), undefined)
  t.strictSame(check({ target: 'production' }, 'editor'), { forbidden: 'Editors can deploy to preview only' })
  t.equal(check({ target: 'staging' }, 'owner'), 'target must be "production" or "preview"')
  t.equal(check({ target: null }, 'owner'), 'target must be "production" or "preview"')
  t.equal(check({ branch: 'has space' }, 'owner'), 'branch must be a git branch name (1–255 characters, no spaces or ~^:?*[\\)')
  t.equal(check({ branch: 7 }, 'owner'), 'branch must be a git branch name (1–255 characters, no spaces or ~^:?*[\\)')
  t.equal(check({ target: 'production', branch: 'main' }, 'owner'), 'branch is for preview deploys: production builds the site\'s production branch')
  t.equal(check({ clearCache: 'yes' }, 'owner'), 'clearCache must be true or false')
  t.equal(check({ site: 'x' }, 'owner'), 'Unknown parameter: site (allowed: target, branch, clearCache)')
})

t.test('deploy production starts one build of the production branch', async (t) => {
  const { h, deploy } = await setup(t)
  const outcome = await h.run(deploy, { link: link(), params: { target: 'production' } })
  const calls = callsWith(h.sim)
  t.strictSame(calls.map((c) => `${c.method} ${c.path}`), [`GET /sites/${SITE}`, `POST ${BUILDS}`])
  t.strictSame(calls[1]!.query, {}, 'no branch: Netlify builds the production branch')
  t.equal(calls[1]!.body, undefined, 'no body: a git build, no zip')
  t.equal(h.sim.callCount({ method: 'POST', path: BUILDS }), 1, 'exactly one build')
  t.strictSame(outcome.recorded.progress, [{ stage: 'building', target: 'production' }])
  t.match(outcome.result, { buildId: HEX24, deployId: HEX24, target: 'production' })
  t.strictSame(Object.keys(outcome.result ?? {}).sort(), ['buildId', 'deployId', 'target'])
})

t.test('deploy preview of a given branch, clearing the cache', async (t) => {
  const { h, deploy } = await setup(t)
  const outcome = await h.run(deploy, { link: link(), params: { branch: 'feature/login', clearCache: true }, role: 'editor' })
  const post = callsWith(h.sim).find((c) => c.method === 'POST')
  t.strictSame(post?.query, { branch: 'feature/login', clear_cache: 'true' })
  t.match(outcome.result, { buildId: HEX24, target: 'preview', branch: 'feature/login' })
  t.strictSame(outcome.recorded.progress, [{ stage: 'building', target: 'preview', branch: 'feature/login' }])
  t.equal(h.sim.callCount({ method: 'POST', path: BUILDS }), 1)
})

t.test('deploy preview without a branch rebuilds the newest branch deploy\'s branch', async (t) => {
  const { h, deploy } = await setup(t)
  const outcome = await h.run(deploy, { link: link(), params: {} })
  const expected = (await listed(h.sim)).find((d) => d.context === 'branch-deploy')!
  const calls = callsWith(h.sim).slice(0, 3)
  t.strictSame(calls.map((c) => `${c.method} ${c.path}`), [`GET /sites/${SITE}`, `GET /sites/${SITE}/deploys`, `POST ${BUILDS}`])
  t.strictSame(calls[1]!.query, { per_page: String(DEPLOY_SCAN_LIMIT) })
  t.strictSame(calls[2]!.query, { branch: expected.branch })
  t.match(outcome.result, { target: 'preview', branch: expected.branch })
})

t.test('a preview of the production branch is refused before building', async (t) => {
  const { h, deploy } = await setup(t, 'healthy', { branch: 'trunk' })
  const outcome = await h.run(deploy, { link: link(), params: { branch: 'trunk' }, role: 'editor' })
  t.equal(outcome.failure?.code, 'invalid_params')
  t.equal(outcome.failure?.message, 'trunk is the site\'s production branch: building it deploys to production (use target "production")')
  t.equal(posts(h.sim), 0, 'no build started')
})

interface FailureCase {
  name: string
  scenario?: ScenarioName
  options?: ScenarioOptions
  params?: Record<string, unknown>
  code: string
  message: RegExp
}

const deployFailures: FailureCase[] = [
  { name: 'revoked token', scenario: 'revoked', code: 'revoked', message: /^Netlify rejected the token .*reconnect Netlify$/ },
  { name: 'unregistered token', code: 'revoked', message: /Netlify rejected the token/ },
  { name: 'rate limited', scenario: 'rate_limited', options: { retryAfterSeconds: 90 }, code: 'rate_limited', message: /try again in 90s$/ },
  { name: 'server error', scenario: 'server_error', code: 'provider_error', message: /^Netlify answered 500$/ },
  { name: 'bad gateway', scenario: 'server_error', options: { status: 502 }, code: 'provider_error', message: /^Netlify answered 502$/ },
  { name: 'malformed answer', scenario: 'malformed', code: 'provider_error', message: /could not be reached or sent an unreadable answer/ },
  { name: 'connection reset', scenario: 'reset', code: 'provider_error', message: /could not be reached/ },
  { name: 'site gone', scenario: 'healthy', options: { unknownSites: [SITE] }, params: { target: 'production' }, code: 'nothing_to_deploy', message: /does not know the linked site any more/ },
  { name: 'no branch deploy to rebuild', scenario: 'healthy', options: { noDeploys: true }, code: 'nothing_to_deploy', message: /no branch deploy among the site's 100 most recent deploys to rebuild: give the branch/ }
]

t.test('deploy failures start no build', async (t) => {
  for (const c of deployFailures) {
    t.test(c.name, async (t) => {
      const h = await actionHarness(t, NETLIFY_KEY)
      const token = `tok_${c.name.replace(/\W+/g, '_')}`
      if (c.scenario) h.sim.setScenario('netlify', token, c.scenario, c.options)
      const deploy = executor(createNetlifyExecutors({ apiUrl: h.sim.baseUrls.netlify }), 'deploy')
      const outcome = await h.run(deploy, { link: link(undefined, token), params: c.params ?? {} })
      t.ok(outcome.failure, 'fails with an ActionFailure')
      t.equal(outcome.failure?.code, c.code)
      t.match(outcome.failure?.message, c.message)
      t.notMatch(outcome.failure?.message, token, 'never names the token')
      t.equal(posts(h.sim), 0, 'no build started')
      t.strictSame(outcome.recorded.progress, [], 'no progress')
    })
  }
})

/** Reads go out with the link's token; writes with `writeToken` (another scenario), at `path` when given. */
const writeWith = (writeToken: string, path?: (url: URL) => URL) => (real: ProviderHttp): ProviderHttp => ({
  getJson: real.getJson,
  requestJson: (method, url, options) => real.requestJson(method, path ? path(new URL(url)) : url, {
    ...options,
    headers: { ...options.headers, authorization: `Bearer ${writeToken}` }
  })
})

t.test('deploy failures on the build call itself are not retried', async (t) => {
  const cases: { name: string, scenario: ScenarioName, options?: ScenarioOptions, code: string, message: RegExp }[] = [
    { name: 'rate limited', scenario: 'rate_limited', options: { retryAfterSeconds: 7 }, code: 'rate_limited', message: /try again in 7s$/ },
    { name: 'revoked in between', scenario: 'revoked', code: 'revoked', message: /reconnect Netlify/ },
    { name: 'site gone in between', scenario: 'healthy', options: { unknownSites: [SITE] }, code: 'nothing_to_deploy', message: /does not know the linked site any more/ },
    { name: 'server error', scenario: 'server_error', code: 'provider_error', message: /^Netlify answered 500$/ }
  ]
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const { h, deploy } = await setup(t)
      h.sim.setScenario('netlify', 'write_token', c.scenario, c.options)
      const outcome = await h.run(deploy, { link: link(), params: { target: 'production' }, http: writeWith('write_token') })
      t.equal(outcome.failure?.code, c.code)
      t.match(outcome.failure?.message, c.message)
      t.equal(h.sim.callCount({ method: 'POST', path: BUILDS }), 1, 'the build was asked for once, never again')
      t.equal(outcome.recorded.progress.length, 1, 'progress was reported before the attempt')
    })
  }
})

t.test('a refused build names Netlify\'s reason (422)', async (t) => {
  const { h, deploy } = await setup(t)
  const outcome = await h.run(deploy, {
    link: link(),
    params: { branch: 'ok' },
    // The simulator refuses a branch name git would not accept, as Netlify does with 422.
    http: writeWith(TOKEN, (url) => { url.searchParams.set('branch', 'no way'); return url })
  })
  t.equal(outcome.failure?.code, 'provider_error')
  t.equal(outcome.failure?.message, 'Netlify answered 422: Invalid branch')
})

t.test('a build request that times out says it may have started', async (t) => {
  const { h, deploy } = await setup(t)
  const outcome = await h.run(deploy, {
    link: link(),
    params: { target: 'production' },
    http: (real) => ({ getJson: real.getJson, requestJson: async () => { throw new ProviderFailure('timeout', 'UND_ERR_HEADERS_TIMEOUT from netlify') } })
  })
  t.equal(outcome.failure?.code, 'timeout')
  t.match(outcome.failure?.message, /may still have started: check the site's deploys before deploying again/)
  t.type(outcome.failure?.cause, ProviderFailure, 'keeps the wire failure as its cause')
})

t.test('the action\'s own deadline is handed back, not turned into a failure', async (t) => {
  const { h, deploy } = await setup(t, 'hanging')
  await t.rejects(h.run(deploy, { link: link(), params: { target: 'production' }, timeoutMs: 200 }), { name: 'ProviderFailure', code: 'timeout' })
  t.equal(posts(h.sim), 0)
})

t.test('actions without a link are not_linked and call nothing', async (t) => {
  const { h, deploy, rollback } = await setup(t)
  for (const action of [deploy, rollback]) {
    const outcome = await h.run(action, { link: null })
    t.equal(outcome.failure?.code, 'not_linked', action.id)
  }
  const noSite = await h.run(deploy, { link: link({}) })
  t.equal(noSite.failure?.message, 'The Netlify link has no site')
  t.equal(h.sim.callCount(), 0)
})

t.test('rollback check', async (t) => {
  const { rollback } = await setup(t)
  const check = rollback.check!
  t.equal(check({}, 'owner'), undefined)
  t.equal(check({}, 'admin'), undefined)
  t.strictSame(check({}, 'editor'), { forbidden: 'Editors cannot roll back production' })
  t.equal(check({ deployId: 'x' }, 'owner'), 'rollback takes no parameters (got deployId)')
})

for (const scenario of ['healthy', 'production_failing'] as const) {
  t.test(`rollback restores the production deploy published before the live one (${scenario})`, async (t) => {
    const { h, rollback } = await setup(t, scenario)
    const outcome = await h.run(rollback, { link: link() })
    const live = (await published(h.sim))!
    const earlier = (await listed(h.sim, 'production=true&state=ready'))
      .filter((d) => d.id !== live.id && Date.parse(d.created_at) < Date.parse(live.created_at))[0]!
    t.ok(earlier, 'the simulator has an earlier ready production deploy')

    const calls = callsWith(h.sim).slice(0, 3)
    t.strictSame(calls.map((c) => `${c.method} ${c.path}`), [`GET /sites/${SITE}`, `GET /sites/${SITE}/deploys`, `POST ${restorePath(earlier.id)}`])
    t.strictSame(calls[1]!.query, { production: 'true', state: 'ready', per_page: String(DEPLOY_SCAN_LIMIT) })
    t.equal(h.sim.callCount({ method: 'POST', path: restorePath(earlier.id) }), 1, 'exactly one restore')
    t.equal(posts(h.sim), 1, 'no other write')
    t.strictSame(outcome.recorded.progress, [{ stage: 'restoring', from: live.id, to: earlier.id }])
    t.match(outcome.result, { deployId: earlier.id, previousDeployId: live.id, state: 'ready', url: /^https:\/\/[0-9a-f]{24}--sim-[0-9a-f]{8}\.netlify\.app$/ })
  })
}

t.test('after a rollback, the next rollback goes one deploy further back (never forward)', async (t) => {
  const { h, rollback } = await setup(t)
  const ready = await listed(h.sim, 'production=true&state=ready')
  t.ok(ready.length >= 3, 'three ready production deploys, newest first')
  const [newer, live, older] = ready as [Listed, Listed, Listed]
  // The site as it is after one rollback: the second newest deploy is the published one.
  const rolledBack = (real: ProviderHttp): ProviderHttp => ({
    requestJson: real.requestJson,
    async getJson (url, options) {
      const res = await real.getJson(url, options)
      return new URL(url).pathname.endsWith(SITE) ? { ...res, body: { ...(res.body as object), published_deploy: live } } : res
    }
  })
  const outcome = await h.run(rollback, { link: link(), http: rolledBack })
  t.match(outcome.result, { deployId: older.id, previousDeployId: live.id })
  t.equal(h.sim.callCount({ method: 'POST', path: restorePath(newer.id) }), 0, 'not forward to the newer deploy')
  t.equal(posts(h.sim), 1)
})

t.test('rollback failures restore nothing', async (t) => {
  const onlyLive = (real: ProviderHttp): ProviderHttp => ({
    requestJson: real.requestJson,
    async getJson (url, options) {
      const res = await real.getJson(url, options)
      // A site whose only ready production deploy is the live one.
      return new URL(url).pathname.endsWith('/deploys') ? { ...res, body: (res.body as Listed[]).slice(0, 1) } : res
    }
  })
  const cases: (FailureCase & { http?: (real: ProviderHttp) => ProviderHttp })[] = [
    { name: 'nothing published', scenario: 'no_successful_deploy', code: 'nothing_to_deploy', message: /^Nothing is published on Netlify yet: there is nothing to roll back$/ },
    { name: 'no earlier deploy', scenario: 'healthy', http: onlyLive, code: 'nothing_to_deploy', message: /no earlier successful production deploy among the site's 100 most recent/ },
    { name: 'revoked token', scenario: 'revoked', code: 'revoked', message: /reconnect Netlify/ },
    { name: 'rate limited', scenario: 'rate_limited', options: { retryAfterSeconds: 30 }, code: 'rate_limited', message: /try again in 30s$/ },
    { name: 'site gone', scenario: 'healthy', options: { unknownSites: [SITE] }, code: 'nothing_to_deploy', message: /does not know the linked site any more/ },
    { name: 'server error', scenario: 'server_error', code: 'provider_error', message: /^Netlify answered 500$/ }
  ]
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const { h, rollback } = await setup(t, c.scenario, c.options)
      const outcome = await h.run(rollback, { link: link(), ...(c.http ? { http: c.http } : {}) })
      t.equal(outcome.failure?.code, c.code)
      t.match(outcome.failure?.message, c.message)
      t.equal(posts(h.sim), 0, 'nothing restored')
      t.strictSame(outcome.recorded.progress, [])
    })
  }
})

t.test('rollback failures on the restore call itself are not retried', async (t) => {
  const cases: { name: string, scenario: ScenarioName, options?: ScenarioOptions, path?: (url: URL) => URL, code: string, message: RegExp }[] = [
    { name: 'rate limited', scenario: 'rate_limited', options: { retryAfterSeconds: 12 }, code: 'rate_limited', message: /try again in 12s$/ },
    { name: 'revoked in between', scenario: 'revoked', code: 'revoked', message: /reconnect Netlify/ },
    {
      name: 'the deploy vanished',
      scenario: 'healthy',
      path: (url) => new URL(url.href.replace(/deploys\/[0-9a-f]{24}\/restore/, 'deploys/000000000000000000000000/restore')),
      code: 'nothing_to_deploy',
      message: /^The deploy to roll back to \([0-9a-f]{24}\) no longer exists at Netlify$/
    }
  ]
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const { h, rollback } = await setup(t)
      h.sim.setScenario('netlify', 'write_token', c.scenario, c.options)
      const outcome = await h.run(rollback, { link: link(), http: writeWith('write_token', c.path) })
      t.equal(outcome.failure?.code, c.code)
      t.match(outcome.failure?.message, c.message)
      t.equal(posts(h.sim), 1, 'the restore was asked for once, never again')
      t.equal(outcome.recorded.progress.length, 1, 'progress was reported before the attempt')
    })
  }
})

t.test('a restore that times out says it may have happened', async (t) => {
  const { h, rollback } = await setup(t)
  const outcome = await h.run(rollback, {
    link: link(),
    http: (real) => ({ getJson: real.getJson, requestJson: async () => { throw new ProviderFailure('timeout', 'UND_ERR_HEADERS_TIMEOUT from netlify') } })
  })
  t.equal(outcome.failure?.code, 'timeout')
  t.match(outcome.failure?.message, /may still have happened: check the site's published deploy before rolling back again/)
})

t.test('disconnect unlinks without calling Netlify and says why the token lives on', async (t) => {
  const { h, executors } = await setup(t)
  const disconnect = executor(executors, 'disconnect')
  const outcome = await h.run(disconnect, { link: link() })
  t.strictSame(outcome.result, { unlinked: true, revokedAtProvider: false, note: NETLIFY_DISCONNECT_NOTE })
  t.equal(outcome.recorded.unlinks, 1)
  t.equal(h.sim.callCount(), 0)
  t.equal(disconnect.check!({ revoke: true }, 'owner'), 'disconnect takes no parameters (got revoke)')
})
