import t from 'tap'
import type { Test } from 'tap'
import { actionHarness, executor } from './actions-harness.js'
import {
  createVercelExecutors, PREVIEW_SCAN_LIMIT, VERCEL_CREATE_PATH, VERCEL_DISCONNECT_NOTE, VERCEL_LIST_PATH
} from '../../adapters/vercel/actions.js'
import { createVercelAdapter, VERCEL_DEPLOYMENTS_PATH } from '../../adapters/vercel/status.js'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { ProviderHttp } from '../../src/provider-kit/http.js'
import { fingerprint, type ScenarioName, type ScenarioOptions, type Simulator } from '../simulator/simulator.js'
import { hex } from '../simulator/shared.js'

const TOKEN = 'vercel_tok_1'
const link = (config: Record<string, unknown> = { projectId: 'prj_alpha' }, token = TOKEN) => ({ config, credentials: { token } })
const DEPLOYMENT_ID = /^dpl_[0-9a-f]{24}$/

async function setup (t: Test, scenario: ScenarioName = 'healthy', options: ScenarioOptions = {}, token = TOKEN) {
  const h = await actionHarness(t, 'vercel')
  h.sim.setScenario('vercel', token, scenario, options)
  const executors = createVercelExecutors({ apiUrl: h.sim.baseUrls.vercel })
  return { h, executors, deploy: executor(executors, 'deploy'), linkProject: executor(executors, 'link') }
}

/** What the simulator lists, asked directly: the deployment a redeploy must start from. */
async function listed (sim: Simulator, query: string) {
  const res = await fetch(`${sim.baseUrls.vercel}/v6/deployments?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } })
  return ((await res.json()) as { deployments: { uid: string, name: string, target: string | null }[] }).deployments
}

const callsWith = (sim: Simulator, token = TOKEN) => sim.calls.filter((c) => c.tokenFingerprint === fingerprint(token))

t.test('one executor per catalog action', async (t) => {
  const adapter = createVercelAdapter({ apiUrl: 'http://127.0.0.1:9/vercel' })
  t.strictSame(adapter.executors?.map((e) => e.id), adapter.actions.map((a) => a.id))
  t.strictSame(adapter.executors?.map(({ id, mode, retryable, needsLink }) => ({ id, mode, retryable, needsLink })), [
    { id: 'deploy', mode: 'inline', retryable: false, needsLink: true },
    { id: 'link', mode: 'inline', retryable: true, needsLink: true },
    { id: 'disconnect', mode: 'inline', retryable: true, needsLink: false }
  ])
  t.equal(VERCEL_LIST_PATH, VERCEL_DEPLOYMENTS_PATH, 'the deploy lists where the status check does')
})

t.test('deploy check', async (t) => {
  const { deploy } = await setup(t)
  const check = deploy.check!
  t.equal(check({}, 'owner'), undefined, 'no params: preview')
  t.equal(check({ target: 'preview' }, 'editor'), undefined, 'editors may deploy previews')
  t.equal(check({}, 'editor'), undefined, 'the default target is preview')
  t.equal(check({ target: 'production' }, 'owner'), undefined)
  t.equal(check({ target: 'production' }, 'admin'), undefined)
  t.strictSame(check({ target: 'production' }, 'editor'), { forbidden: 'Editors can deploy to preview only' })
  t.equal(check({ target: 'staging' }, 'owner'), 'target must be "production" or "preview"')
  t.equal(check({ target: 1 }, 'owner'), 'target must be "production" or "preview"')
  t.equal(check({ target: null }, 'owner'), 'target must be "production" or "preview"')
  t.equal(check({ target: 'preview', branch: 'x' }, 'owner'), 'Unknown parameter: branch (allowed: target)')
  t.equal(check({ a: 1, b: 2 }, 'editor'), 'Unknown parameters: a, b (allowed: target)')
})

t.test('deploy preview redeploys the latest preview deployment', async (t) => {
  const { h, deploy } = await setup(t)
  const outcome = await h.run(deploy, { link: link(), params: {} })
  const expectedFrom = (await listed(h.sim, 'projectId=prj_alpha&limit=100')).find((d) => d.target === null)!

  const calls = callsWith(h.sim).slice(0, 2)
  t.equal(calls.length, 2)
  t.match(calls[0], { method: 'GET', path: '/v6/deployments', query: { projectId: 'prj_alpha', limit: String(PREVIEW_SCAN_LIMIT) } })
  t.equal(calls[0]!.query.target, undefined, 'previews have no target to filter on')
  t.equal(calls[0]!.query.teamId, undefined)
  t.match(calls[1], { method: 'POST', path: VERCEL_CREATE_PATH, query: { forceNew: '1' }, headers: { 'content-type': 'application/json' } })
  t.strictSame(calls[1]!.body, { name: 'sim-app', deploymentId: expectedFrom.uid, meta: { action: 'redeploy' } }, 'no target: preview')
  t.ok(calls.every((c) => c.tokenFingerprint === fingerprint(TOKEN)), 'both calls carry the link\'s bearer token')

  t.strictSame(outcome.recorded.progress, [{ stage: 'redeploying', from: expectedFrom.uid }])
  const id = String(outcome.result?.deploymentId)
  t.match(id, DEPLOYMENT_ID)
  t.not(id, expectedFrom.uid, 'a new deployment')
  t.strictSame(outcome.result, { deploymentId: id, url: `https://sim-app-${id.slice(4, 13)}-sim.vercel.app`, target: 'preview', readyState: 'QUEUED' })
  t.strictSame(outcome.recorded.stored, [])
})

t.test('deploy production redeploys the latest production deployment, in the team', async (t) => {
  const { h, deploy } = await setup(t)
  const outcome = await h.run(deploy, { link: link({ projectId: 'prj_team', teamId: 'team_42' }), params: { target: 'production' } })
  const expectedFrom = (await listed(h.sim, 'projectId=prj_team&target=production&limit=1'))[0]!
  t.equal(expectedFrom.target, 'production')

  const [list, post] = callsWith(h.sim)
  t.match(list, { method: 'GET', path: '/v6/deployments', query: { projectId: 'prj_team', target: 'production', limit: '1', teamId: 'team_42' } })
  t.match(post, { method: 'POST', path: '/v13/deployments', query: { forceNew: '1', teamId: 'team_42' } })
  t.strictSame(post!.body, { name: 'sim-app', deploymentId: expectedFrom.uid, meta: { action: 'redeploy' }, target: 'production' })
  const id = String(outcome.result?.deploymentId)
  t.strictSame(outcome.result, { deploymentId: id, url: `https://sim-app-${id.slice(4, 13)}-sim.vercel.app`, target: 'production', readyState: 'QUEUED' })
  t.strictSame(outcome.recorded.progress, [{ stage: 'redeploying', from: expectedFrom.uid }])
})

t.test('deploy answers the state Vercel reports', async (t) => {
  const { h, deploy } = await setup(t, 'building')
  const outcome = await h.run(deploy, { link: link(), params: { target: 'production' } })
  t.equal(outcome.result?.readyState, 'BUILDING')
})

interface FailureCase {
  name: string
  scenario?: ScenarioName
  options?: ScenarioOptions
  params?: Record<string, unknown>
  code: string
  message: RegExp
  /** Whether the redeploy was attempted (POST sent). */
  posted?: boolean
}

const deployFailures: FailureCase[] = [
  { name: 'revoked token', scenario: 'revoked', code: 'revoked', message: /Vercel rejected the token.*reconnect Vercel/ },
  { name: 'unregistered token', code: 'revoked', message: /Vercel rejected the token/ },
  { name: 'token without access to the team', scenario: 'missing_scopes', code: 'no_access', message: /cannot reach this project/ },
  { name: 'rate limited', scenario: 'rate_limited', options: { retryAfterSeconds: 90 }, code: 'rate_limited', message: /try again in 90s$/ },
  { name: 'server error', scenario: 'server_error', code: 'provider_error', message: /^Vercel answered 500 \(internal_server_error\)$/ },
  { name: 'bad gateway', scenario: 'server_error', options: { status: 502 }, code: 'provider_error', message: /^Vercel answered 502/ },
  { name: 'malformed answer', scenario: 'malformed', code: 'provider_error', message: /could not be reached or sent an unreadable answer/ },
  { name: 'connection reset', scenario: 'reset', code: 'provider_error', message: /could not be reached/ },
  { name: 'project gone', scenario: 'healthy', options: { unknownProjects: ['prj_alpha'] }, code: 'nothing_to_deploy', message: /does not know the linked project/ },
  {
    name: 'never deployed: no production',
    scenario: 'healthy',
    options: { neverDeployed: true },
    params: { target: 'production' },
    code: 'nothing_to_deploy',
    message: /no production deployment to redeploy yet/
  },
  { name: 'never deployed: no preview', scenario: 'healthy', options: { neverDeployed: true }, code: 'nothing_to_deploy', message: /no preview deployment among the project's 100 most recent/ }
]

t.test('deploy failures', async (t) => {
  for (const c of deployFailures) {
    t.test(c.name, async (t) => {
      const h = await actionHarness(t, 'vercel')
      const token = `tok_${c.name.replace(/\W+/g, '_')}`
      if (c.scenario) h.sim.setScenario('vercel', token, c.scenario, c.options)
      const deploy = executor(createVercelExecutors({ apiUrl: h.sim.baseUrls.vercel }), 'deploy')
      const outcome = await h.run(deploy, { link: link(undefined, token), params: c.params ?? {} })
      t.ok(outcome.failure, 'fails with an ActionFailure')
      t.equal(outcome.failure?.code, c.code)
      t.match(outcome.failure?.message, c.message)
      t.notMatch(outcome.failure?.message, token, 'never names the token')
      t.equal(h.sim.callCount({ method: 'POST' }), 0, 'nothing was redeployed')
      t.strictSame(outcome.recorded.progress, [], 'no redeploy progress')
    })
  }
})

/** The list answers with the link's token; the POST goes out with `postToken`, another scenario. */
const postWith = (postToken: string, change: (body: Record<string, unknown>) => Record<string, unknown> = (b) => b) =>
  (real: ProviderHttp): ProviderHttp => ({
    getJson: real.getJson,
    requestJson: (method, url, options) => real.requestJson(method, url, {
      ...options,
      headers: { ...options.headers, authorization: `Bearer ${postToken}` },
      body: change(options.body as Record<string, unknown>)
    })
  })

t.test('deploy failures on the redeploy call itself', async (t) => {
  const cases: { name: string, scenario: ScenarioName, options?: ScenarioOptions, change?: (b: Record<string, unknown>) => Record<string, unknown>, code: string, message: RegExp }[] = [
    { name: 'rate limited', scenario: 'rate_limited', options: { retryAfterSeconds: 7 }, code: 'rate_limited', message: /try again in 7s$/ },
    { name: 'revoked in between', scenario: 'revoked', code: 'revoked', message: /reconnect Vercel/ },
    { name: 'deployment vanished', scenario: 'healthy', change: (b) => ({ ...b, deploymentId: 'dpl_gone' }), code: 'nothing_to_deploy', message: /\(dpl_[0-9a-f]{24}\) no longer exists at Vercel/ },
    { name: 'rejected body', scenario: 'healthy', change: ({ deploymentId: _, ...b }) => b, code: 'provider_error', message: /^Vercel answered 400 \(bad_request\)$/ }
  ]
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const { h, deploy } = await setup(t)
      h.sim.setScenario('vercel', 'post_token', c.scenario, c.options)
      const outcome = await h.run(deploy, { link: link(), http: postWith('post_token', c.change) })
      t.equal(outcome.failure?.code, c.code)
      t.match(outcome.failure?.message, c.message)
      t.equal(h.sim.callCount({ method: 'POST', path: '/v13/deployments' }), 1, 'the redeploy was attempted once, never retried')
      t.equal(outcome.recorded.progress.length, 1, 'progress was reported before the attempt')
    })
  }
})

t.test('a redeploy that times out says it may have started', async (t) => {
  const { h, deploy } = await setup(t)
  const outcome = await h.run(deploy, {
    link: link(),
    http: (real) => ({ getJson: real.getJson, requestJson: async () => { throw new ProviderFailure('timeout', 'UND_ERR_HEADERS_TIMEOUT from vercel') } })
  })
  t.equal(outcome.failure?.code, 'timeout')
  t.match(outcome.failure?.message, /may still have started: check the project's deployments before deploying again/)
  t.type(outcome.failure?.cause, ProviderFailure, 'keeps the wire failure as its cause')
})

t.test('the action\'s own deadline is handed back, not turned into a failure', async (t) => {
  const { h, deploy } = await setup(t, 'hanging')
  await t.rejects(h.run(deploy, { link: link(), timeoutMs: 200 }), { name: 'ProviderFailure', code: 'timeout' })
  t.equal(h.sim.callCount({ method: 'POST' }), 0)
})

t.test('deploy without a link is not_linked', async (t) => {
  const { h, deploy } = await setup(t)
  const outcome = await h.run(deploy, { link: null })
  t.equal(outcome.failure?.code, 'not_linked')
  t.equal(h.sim.callCount(), 0)
})

t.test('link check', async (t) => {
  const { linkProject } = await setup(t)
  const check = linkProject.check!
  t.equal(check({ projectId: 'prj_abc123' }, 'owner'), undefined)
  t.equal(check({ projectId: 'my-app', teamId: 'team_42' }, 'admin'), undefined)
  t.equal(check({}, 'owner'), 'projectId must be a Vercel project id (prj_…) or name: 1–128 letters, digits, - or _')
  t.equal(check({ projectId: '' }, 'owner'), 'projectId must be a Vercel project id (prj_…) or name: 1–128 letters, digits, - or _')
  t.equal(check({ projectId: 'a/b' }, 'owner'), 'projectId must be a Vercel project id (prj_…) or name: 1–128 letters, digits, - or _')
  t.equal(check({ projectId: 'x'.repeat(129) }, 'owner'), 'projectId must be a Vercel project id (prj_…) or name: 1–128 letters, digits, - or _')
  t.equal(check({ projectId: 'ok', teamId: 'team 1' }, 'owner'), 'teamId must be a Vercel team id (team_…): 1–128 letters, digits, - or _')
  t.equal(check({ projectId: 'ok', teamId: 42 }, 'owner'), 'teamId must be a Vercel team id (team_…): 1–128 letters, digits, - or _')
  t.equal(check({ projectId: 'ok', token: 'x' }, 'owner'), 'Unknown parameter: token (allowed: projectId, teamId)')
})

t.test('link verifies the project with the current token, then stores Vercel\'s id', async (t) => {
  const { h, linkProject } = await setup(t)
  const outcome = await h.run(linkProject, { link: link({ projectId: 'prj_old', teamId: 'team_old' }), params: { projectId: 'my-app' } })
  const expectedId = `prj_${hex('my-app', 20)}`
  t.strictSame(outcome.result, { projectId: expectedId, name: 'my-app' })
  t.strictSame(outcome.recorded.stored, [{ config: { projectId: expectedId }, credentials: { token: TOKEN } }], 'the given scope, not the old one')
  t.equal(h.sim.calls.length, 1)
  t.match(h.sim.calls[0], { method: 'GET', path: '/v9/projects/my-app', tokenFingerprint: fingerprint(TOKEN) })
  t.strictSame(h.sim.calls[0]!.query, {}, 'no teamId when none is given')
})

t.test('link to a team project', async (t) => {
  const { h, linkProject } = await setup(t)
  const outcome = await h.run(linkProject, { link: link(), params: { projectId: 'prj_team9', teamId: 'team_42' } })
  t.strictSame(outcome.result, { projectId: 'prj_team9', name: 'sim-app' })
  t.strictSame(outcome.recorded.stored, [{ config: { projectId: 'prj_team9', teamId: 'team_42' }, credentials: { token: TOKEN } }])
  t.match(h.sim.calls[0], { path: '/v9/projects/prj_team9', query: { teamId: 'team_42' } })
})

t.test('link failures store nothing', async (t) => {
  const cases: { name: string, scenario?: ScenarioName, options?: ScenarioOptions, params: Record<string, unknown>, code: string, message: RegExp }[] = [
    { name: 'unknown project', scenario: 'healthy', options: { unknownProjects: ['ghost'] }, params: { projectId: 'ghost' }, code: 'not_found', message: /sees no project "ghost" \(for a team project, give its teamId\)$/ },
    { name: 'unknown team project', scenario: 'healthy', options: { unknownProjects: ['ghost'] }, params: { projectId: 'ghost', teamId: 'team_7' }, code: 'not_found', message: /sees no project "ghost" in team team_7$/ },
    { name: 'revoked', scenario: 'revoked', params: { projectId: 'my-app' }, code: 'revoked', message: /reconnect Vercel/ },
    { name: 'no access to the team', scenario: 'missing_scopes', params: { projectId: 'my-app', teamId: 'team_7' }, code: 'no_access', message: /cannot reach this team's project/ },
    { name: 'rate limited', scenario: 'rate_limited', options: { retryAfterSeconds: 30 }, params: { projectId: 'my-app' }, code: 'rate_limited', message: /try again in 30s$/ },
    { name: 'server error', scenario: 'server_error', params: { projectId: 'my-app' }, code: 'provider_error', message: /^Vercel answered 500/ }
  ]
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const h = await actionHarness(t, 'vercel')
      if (c.scenario) h.sim.setScenario('vercel', TOKEN, c.scenario, c.options)
      const linkProject = executor(createVercelExecutors({ apiUrl: h.sim.baseUrls.vercel }), 'link')
      const outcome = await h.run(linkProject, { link: link(), params: c.params })
      t.equal(outcome.failure?.code, c.code)
      t.match(outcome.failure?.message, c.message)
      t.strictSame(outcome.recorded.stored, [], 'nothing stored')
    })
  }
})

t.test('disconnect unlinks without calling Vercel and says why the token lives on', async (t) => {
  const { h, executors } = await setup(t)
  const disconnect = executor(executors, 'disconnect')
  const outcome = await h.run(disconnect, { link: link() })
  t.strictSame(outcome.result, { unlinked: true, revokedAtProvider: false, note: VERCEL_DISCONNECT_NOTE })
  t.equal(outcome.recorded.unlinks, 1)
  t.match(VERCEL_DISCONNECT_NOTE, 'DELETE /v3/user/tokens/{tokenId}')
  t.equal(h.sim.callCount(), 0)
  t.equal(disconnect.check!({}, 'owner'), undefined)
  t.equal(disconnect.check!({ revoke: true }, 'owner'), 'disconnect takes no parameters (got revoke)')
})
