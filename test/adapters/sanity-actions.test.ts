import t from 'tap'
import type { Test } from 'tap'
import { actionHarness, executor } from './actions-harness.js'
import { createSanityExecutors, SANITY_DISCONNECT_NOTE, SANITY_PROJECTS_API_VERSION } from '../../adapters/sanity/actions.js'
import { createSanityAdapter } from '../../adapters/sanity/status.js'
import { fingerprint, type ScenarioName, type ScenarioOptions } from '../simulator/simulator.js'

const TOKEN = 'sk_robot_1'
const PROJECT = 'zq7proj1'
const LINK = { config: { projectId: PROJECT, dataset: 'blogdata' }, credentials: { token: TOKEN } }

async function setup (t: Test, scenario?: ScenarioName, options: ScenarioOptions = {}) {
  const h = await actionHarness(t, 'sanity')
  if (scenario) h.sim.setScenario('sanity', TOKEN, scenario, options)
  const executors = createSanityExecutors({ managementApiUrl: h.sim.baseUrls.sanityManagement })
  return { h, executors, openStudio: executor(executors, 'open-studio') }
}

t.test('one executor per catalog action', async (t) => {
  const adapter = createSanityAdapter({ apiUrl: 'http://127.0.0.1:9/sanity/{projectId}', managementApiUrl: 'http://127.0.0.1:9/sanity-api' })
  t.strictSame(adapter.executors?.map((e) => e.id), adapter.actions.map((a) => a.id))
  t.strictSame(adapter.executors?.map(({ id, mode, retryable, needsLink }) => ({ id, mode, retryable, needsLink })), [
    { id: 'sync', mode: 'inline', retryable: true, needsLink: true },
    { id: 'open-studio', mode: 'inline', retryable: true, needsLink: true },
    { id: 'disconnect', mode: 'inline', retryable: true, needsLink: false }
  ])
  for (const e of adapter.executors!) {
    t.equal(e.check!({}, 'editor'), undefined, `${e.id} accepts no params`)
    t.equal(e.check!({ dataset: 'x' }, 'owner'), `${e.id} takes no parameters (got dataset)`)
  }
})

t.test('open-studio answers the Sanity-hosted Studio', async (t) => {
  const { h, openStudio } = await setup(t, 'healthy', { studioHost: 'acme-blog' })
  const outcome = await h.run(openStudio, { link: LINK })
  t.strictSame(outcome.result, { url: 'https://acme-blog.sanity.studio' })
  t.equal(h.sim.calls.length, 1)
  t.match(h.sim.calls[0], {
    provider: 'sanity',
    method: 'GET',
    path: `/${SANITY_PROJECTS_API_VERSION}/projects/${PROJECT}`,
    tokenFingerprint: fingerprint(TOKEN)
  })
  t.equal(SANITY_PROJECTS_API_VERSION, 'v2021-06-07')
})

t.test('open-studio with the simulator\'s default project', async (t) => {
  const { h, openStudio } = await setup(t, 'healthy')
  t.strictSame((await h.run(openStudio, { link: LINK })).result, { url: `https://${PROJECT}-studio.sanity.studio` })
})

t.test('open-studio falls back to a Studio hosted elsewhere', async (t) => {
  const { h, openStudio } = await setup(t, 'healthy', { studioHost: null, externalStudioHost: 'https://www.acme.example/studio' })
  t.strictSame((await h.run(openStudio, { link: LINK })).result, { url: 'https://www.acme.example/studio' })
})

t.test('open-studio failures', async (t) => {
  const cases: { name: string, scenario?: ScenarioName, options?: ScenarioOptions, code: string, message: RegExp }[] = [
    { name: 'no deployed studio', scenario: 'healthy', options: { studioHost: null }, code: 'no_studio', message: /^This Sanity project has no deployed Studio: deploy one with `sanity deploy`$/ },
    { name: 'an external host that is no web URL', scenario: 'healthy', options: { studioHost: null, externalStudioHost: 'javascript:alert(1)' }, code: 'no_studio', message: /no deployed Studio/ },
    { name: 'a studioHost that is no hostname', scenario: 'healthy', options: { studioHost: 'evil.example/x?' }, code: 'no_studio', message: /no deployed Studio/ },
    { name: 'revoked token', scenario: 'revoked', code: 'revoked', message: /^Sanity rejected the token .*reconnect Sanity$/ },
    { name: 'unregistered token', code: 'revoked', message: /Sanity rejected the token/ },
    { name: 'token without permission', scenario: 'missing_scopes', code: 'no_access', message: /may not read this project's settings/ },
    { name: 'rate limited', scenario: 'rate_limited', options: { retryAfterSeconds: 4 }, code: 'rate_limited', message: /try again in 4s$/ },
    { name: 'server error (HTML page)', scenario: 'server_error', code: 'provider_error', message: /^Sanity answered 503$/ },
    { name: 'malformed answer', scenario: 'malformed', code: 'provider_error', message: /could not be reached or sent an unreadable answer/ },
    { name: 'connection reset', scenario: 'reset', code: 'provider_error', message: /could not be reached/ }
  ]
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const { h, openStudio } = await setup(t, c.scenario, c.options)
      const outcome = await h.run(openStudio, { link: LINK })
      t.equal(outcome.failure?.code, c.code)
      t.match(outcome.failure?.message, c.message)
      t.notMatch(outcome.failure?.message, TOKEN)
      t.equal(h.sim.callCount({ provider: 'sanity' }), 1, 'one call, no retries')
    })
  }
})

t.test('open-studio: the action\'s own deadline is handed back', async (t) => {
  const { h, openStudio } = await setup(t, 'hanging')
  await t.rejects(h.run(openStudio, { link: LINK, timeoutMs: 200 }), { name: 'ProviderFailure', code: 'timeout' })
})

t.test('open-studio without a link is not_linked', async (t) => {
  const { h, openStudio } = await setup(t)
  t.equal((await h.run(openStudio, { link: null })).failure?.code, 'not_linked')
  t.equal(h.sim.callCount(), 0)
})

t.test('sync re-checks the status', async (t) => {
  const { h, executors } = await setup(t)
  const outcome = await h.run(executor(executors, 'sync'), { link: LINK })
  t.strictSame(outcome.result, { refreshed: true })
  t.equal(outcome.recorded.refreshes, 1)
  t.equal(h.sim.callCount(), 0, 'the status check does the calling')
  t.equal((await h.run(executor(executors, 'sync'), { link: null })).failure?.code, 'not_linked')
})

t.test('disconnect unlinks and says the robot token lives on', async (t) => {
  const { h, executors } = await setup(t)
  const outcome = await h.run(executor(executors, 'disconnect'), { link: LINK })
  t.strictSame(outcome.result, { unlinked: true, revokedAtProvider: false, note: SANITY_DISCONNECT_NOTE })
  t.equal(outcome.recorded.unlinks, 1)
  t.match(SANITY_DISCONNECT_NOTE, /deleted by its id/)
  t.equal(h.sim.callCount(), 0)
})
