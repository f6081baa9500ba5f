import t from 'tap'
import { eachBackend, TEST_DATABASE_URL, realOnly } from '../helper.js'
import { realDatabaseProblem } from '../support/cleanup.js'
import { statusApp } from '../support/status-app.js'
import { post, settled } from '../support/actions.js'
import type { Action } from '../../src/schemas/action.js'
import type { StatusEnvelope } from '../../src/schemas/integration-status.js'

eachBackend(t, 'actions do their work at the provider', async (t, backend) => {
  const s = await statusApp(t, { backend })
  const run = async (body: Record<string, unknown>, role: 'owner' | 'editor' = 'owner') => {
    const response = await post(s, body, { role })
    t.equal(response.statusCode, 202, `${String(body.provider)} ${String(body.action)} accepted`)
    return settled(s, response.json<Action>().id, role, String(body.projectId))
  }

  t.test('GitHub sync re-checks GitHub now, past the cache', async (t) => {
    await s.link('p_x1', 'github')
    await s.status('p_x1')
    const before = s.sim.callCount({ provider: 'github', path: '/user' })
    const done = await run({ projectId: 'p_x1', provider: 'github', action: 'sync' })
    t.match(done, { status: 'succeeded', result: { refreshed: true } })
    t.equal(s.sim.callCount({ provider: 'github', path: '/user' }), before + 1)
  })

  t.test('Vercel deploy redeploys the latest preview deployment', async (t) => {
    await s.link('p_x2', 'vercel')
    const done = await run({ projectId: 'p_x2', provider: 'vercel', action: 'deploy', params: { target: 'preview' } }, 'editor')
    t.match(done, { status: 'succeeded', result: { deploymentId: /^dpl_/, url: /^https:\/\//, target: 'preview' } })
    const call = s.sim.calls.find((c) => c.provider === 'vercel' && c.method === 'POST')
    t.ok(call, 'Vercel received the redeploy')
    t.equal(call?.path, '/v13/deployments')
    t.ok(call?.tokenFingerprint, 'with the link\'s token')
  })

  t.test('a provider failure ends the action failed, with the reason', async (t) => {
    await s.link('p_x3', 'vercel', 'revoked')
    const done = await run({ projectId: 'p_x3', provider: 'vercel', action: 'deploy' })
    t.match(done, { status: 'failed', error: { code: 'revoked', message: String } })
    t.notOk(done.result)
  })

  // The local PostgreSQL stands in for the Supabase database, on the embedded run too.
  t.test('Supabase test-connection pings the database for real', { skip: realOnly(await realDatabaseProblem(TEST_DATABASE_URL)) }, async (t) => {
    await s.link('p_x4', 'supabase', 'healthy', { config: { projectRef: 'supasecretref', databaseUrl: TEST_DATABASE_URL } })
    const done = await run({ projectId: 'p_x4', provider: 'supabase', action: 'test-connection' })
    t.match(done, { status: 'succeeded', result: { latencyMs: Number } })
    t.notMatch(JSON.stringify(done), /postgres:\/\//, 'the database URL is not echoed')
  })

  t.test('disconnect removes the link and its credentials', async (t) => {
    await s.link('p_x5', 'sanity')
    const done = await run({ projectId: 'p_x5', provider: 'sanity', action: 'disconnect' })
    t.match(done, { status: 'succeeded', result: { unlinked: true } })
    const item = (await s.status('p_x5')).json<StatusEnvelope>().items[2]
    t.match(item, { configured: false, configuredReason: 'not_linked' })
    t.notOk(await s.app.integrationLinks.credentials('p_x5', 'sanity'), 'no credentials left')
  })

  t.test('Sanity connect: a token in params, verified live, sealed at rest', async (t) => {
    const token = 'sanity-connect-token-0123456789'
    s.sim.setScenario('sanity', token, 'healthy')
    const config = { projectId: 'sanityconn1', dataset: 'production' }
    const done = await run({ projectId: 'p_x6', provider: 'sanity', action: 'connect', params: { config, token } })
    t.match(done, { status: 'succeeded', result: { connected: true }, params: { token: '***' } })
    t.same((await s.app.integrationLinks.credentials('p_x6', 'sanity'))?.token, token, 'stored as the link\'s credentials')
    const raw = await s.app.db.selectFrom('integration_actions').select('params').where('id', '=', done.id).executeTakeFirstOrThrow()
    t.notMatch(JSON.stringify(raw.params), token, 'never stored in clear in the action')
    t.match((await s.status('p_x6')).json<StatusEnvelope>().items[2], { configured: true, status: 'connected' })

    const bad = await run({ projectId: 'p_x7', provider: 'sanity', action: 'connect', params: { config, token: 'not-a-registered-token' } })
    t.match(bad, { status: 'failed', error: { code: 'verification_failed' } })
    t.notOk(await s.app.integrationLinks.credentials('p_x7', 'sanity'), 'nothing stored')
  })

  t.test('connect without an OAuth app configured takes a token, verified live before it is stored', async (t) => {
    const config = { owner: 'acme', repo: 'site', branch: 'main' }
    const response = await post(s, { projectId: 'p_x8', provider: 'github', action: 'connect', params: { config } })
    t.equal(response.statusCode, 400)
    t.match(response.json(), { code: 'INVALID_ACTION_PARAMS', message: /params\.token is required/ })

    const bad = await run({ projectId: 'p_x8', provider: 'github', action: 'connect', params: { config, token: 'ghp_not_registered_anywhere' } })
    t.match(bad, { status: 'failed', error: { code: 'verification_failed', message: 'GitHub rejected the token; nothing was stored' } })
    t.notOk(await s.app.integrationLinks.credentials('p_x8', 'github'), 'nothing stored')

    const token = 'ghp_connect_token_0123456789'
    s.sim.setScenario('github', token, 'healthy', { branch: 'main' })
    const done = await run({ projectId: 'p_x8', provider: 'github', action: 'connect', params: { config, token } })
    t.match(done, { status: 'succeeded', result: { connected: true }, params: { token: '***' } })
    t.same((await s.app.integrationLinks.credentials('p_x8', 'github'))?.token, token)
  })
})
