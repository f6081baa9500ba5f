import t from 'tap'
import { createHash, createHmac, randomUUID } from 'node:crypto'
import { eachBackend } from '../helper.js'
import { LINK_CONFIGS, statusApp } from '../support/status-app.js'
import { post, settled } from '../support/actions.js'
import { startSimulator } from '../simulator/simulator.js'
import type { Action } from '../../src/schemas/action.js'
import type { StatusEnvelope } from '../../src/schemas/integration-status.js'

/** Netlify end to end through the real routes, as Vercel is covered: actions, webhook, connect. */

const WEBHOOK_SECRET = 'nf-webhook-secret'
const SITE = LINK_CONFIGS.netlify.siteId
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Netlify's deploy-notification JWS: HS256 over header.claims, claims `iss: netlify` and the body's sha256. */
function sign (body: string, secret = WEBHOOK_SECRET) {
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: 'netlify', sha256: createHash('sha256').update(body).digest('hex') })}`
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`
}

const netlifyItem = (body: StatusEnvelope) => body.items.find((i) => i.key === 'netlify')!

eachBackend(t, 'Netlify through the real routes', async (t, backend) => {
  // The simulator derives deploy ids from its clock: a fixed one keeps them stable between the
  // rollback's listing and its restore call. The app keeps the real clock (leases, polling).
  const sim = await startSimulator({ now: () => Date.parse('2026-11-25T14:30:00.000Z') })
  t.teardown(() => sim.close())
  const s = await statusApp(t, { backend, sim, env: { NETLIFY_WEBHOOK_SECRET: WEBHOOK_SECRET } })

  t.test('listed with its label, linked, and its status served', async (t) => {
    await s.link('p_nf1', 'netlify')
    const body = (await s.status('p_nf1')).json<StatusEnvelope>()
    t.match(netlifyItem(body), { label: 'Netlify', configured: true, status: 'connected', summary: /^Live · deployed / })
    const providers = (await s.app.inject({ url: '/api/providers', headers: s.as('viewer', 'p_nf1') })).json<{ providers: Array<{ key: string, oauth: boolean }> }>()
    t.match(providers.providers.find((p) => p.key === 'netlify'), { key: 'netlify', label: 'Netlify', oauth: false }, 'no OAuth app here: a token connects')
  })

  t.test('deploy: one build at Netlify, once per idempotency key', async (t) => {
    await s.link('p_nf2', 'netlify')
    const key = randomUUID()
    const body = { projectId: 'p_nf2', provider: 'netlify', action: 'deploy', params: { target: 'production' } }
    const first = await post(s, body, { key })
    t.equal(first.statusCode, 202)
    const done = await settled(s, first.json<Action>().id, 'owner', 'p_nf2')
    t.match(done, { status: 'succeeded', result: { buildId: String, target: 'production' } })
    const again = await post(s, body, { key })
    t.equal(again.json<Action>().id, done.id, 'the same action for the same key')
    const builds = s.sim.calls.filter((c) => c.provider === 'netlify' && c.method === 'POST' && c.path === `/sites/${SITE}/builds`)
    t.equal(builds.length, 1, 'Netlify was asked to build once')
    t.ok(builds[0]?.tokenFingerprint, 'with the link\'s token')
    const editor = await post(s, body, { role: 'editor' })
    t.equal(editor.statusCode, 403, 'editors deploy to preview only')
  })

  t.test('rollback restores the previous published deploy, once', async (t) => {
    await s.link('p_nf3', 'netlify')
    const response = await post(s, { projectId: 'p_nf3', provider: 'netlify', action: 'rollback' })
    t.equal(response.statusCode, 202)
    const done = await settled(s, response.json<Action>().id, 'owner', 'p_nf3')
    t.match(done, { status: 'succeeded', result: { deployId: String, previousDeployId: String } })
    const restores = s.sim.calls.filter((c) => c.provider === 'netlify' && c.method === 'POST' && /\/restore$/.test(c.path))
    t.equal(restores.length, 1, 'one restore at Netlify')
    t.equal((await post(s, { projectId: 'p_nf3', provider: 'netlify', action: 'rollback' }, { role: 'editor' })).statusCode, 403, 'editors cannot roll back')
  })

  t.test('a revoked token ends the deploy failed with the catalog code', async (t) => {
    await s.link('p_nf4', 'netlify', 'revoked')
    const response = await post(s, { projectId: 'p_nf4', provider: 'netlify', action: 'deploy' })
    t.match(await settled(s, response.json<Action>().id, 'owner', 'p_nf4'), { status: 'failed', error: { code: 'revoked' } })
  })

  t.test('webhook: a signed deploy notification refreshes the site\'s links and is recorded once', async (t) => {
    const token = await s.link('p_nf5', 'netlify')
    t.match(netlifyItem((await s.status('p_nf5')).json<StatusEnvelope>()), { status: 'connected' })
    s.sim.setScenario('netlify', token, 'production_failing') // what the notification announces
    const payload = JSON.stringify({ id: `d_${randomUUID()}`, site_id: SITE.toUpperCase(), state: 'error', context: 'production', updated_at: '2026-11-25T14:31:00.000Z' })
    const deliver = (headers: Record<string, string>, body = payload) =>
      s.app.inject({ method: 'POST', url: '/api/webhooks/netlify', headers: { 'content-type': 'application/json', ...headers }, payload: body })
    const first = await deliver({ 'x-webhook-signature': sign(payload), 'x-netlify-event': 'deploy_failed' })
    t.equal(first.statusCode, 202)
    t.match(first.json(), { received: true, duplicate: false, refreshed: Number })
    t.ok(first.json().refreshed >= 1, 'the site\'s links were re-checked (site id matched case-insensitively)')
    t.match(netlifyItem((await s.status('p_nf5')).json<StatusEnvelope>()), { status: 'warning', summary: 'Prod deploy failed · previous still live' }, 'the new state, at once')
    t.match((await deliver({ 'x-webhook-signature': sign(payload), 'x-netlify-event': 'deploy_failed' })).json(), { received: true, duplicate: true, refreshed: 0 }, 'a redelivery')

    const calls = s.sim.callCount({ provider: 'netlify' })
    const forged = await deliver({ 'x-webhook-signature': sign(payload, 'another-secret') })
    t.equal(forged.statusCode, 401)
    t.equal(forged.json().code, 'WEBHOOK_SIGNATURE_INVALID')
    t.equal((await deliver({})).statusCode, 401, 'unsigned')
    t.equal((await deliver({ 'x-webhook-signature': sign(payload) }, payload.replace('error', 'ready'))).statusCode, 401, 'a body changed after signing')
    t.equal(s.sim.callCount({ provider: 'netlify' }), calls, 'nothing was re-checked')
  })

  t.test('connect with a personal access token: proven live, then stored', async (t) => {
    const token = `nfp_${randomUUID()}`
    s.sim.setScenario('netlify', token, 'healthy')
    const done = await settled(s, (await post(s, { projectId: 'p_nf6', provider: 'netlify', action: 'connect', params: { config: { siteId: SITE }, token } })).json<Action>().id, 'owner', 'p_nf6')
    t.match(done, { status: 'succeeded', result: { connected: true }, params: { token: '***' } })
    t.equal((await s.app.integrationLinks.credentials('p_nf6', 'netlify'))?.token, token)
    const bad = await settled(s, (await post(s, { projectId: 'p_nf7', provider: 'netlify', action: 'connect', params: { config: { siteId: SITE }, token: 'nfp_unknown' } })).json<Action>().id)
    t.match(bad, { status: 'failed', error: { code: 'verification_failed', message: /Netlify rejected the token/ } })
    t.notOk(await s.app.integrationLinks.credentials('p_nf7', 'netlify'), 'nothing stored')
  })
})

eachBackend(t, 'Netlify OAuth connect through the callback route', async (t, backend) => {
  const app = { clientId: 'nf-client', clientSecret: 'nf-secret-value-1234' }
  const sim = await startSimulator()
  t.teardown(() => sim.close())
  sim.registerOAuthApp('netlify', app)
  const publicUrl = 'https://status.example.test'
  const s = await statusApp(t, {
    backend,
    sim,
    env: { PUBLIC_URL: publicUrl, NETLIFY_OAUTH_URL: sim.baseUrls.netlifyOAuth, NETLIFY_OAUTH_CLIENT_ID: app.clientId, NETLIFY_OAUTH_CLIENT_SECRET: app.clientSecret }
  })
  const started = await post(s, { projectId: 'p_nfo', provider: 'netlify', action: 'connect', params: { config: { siteId: SITE } } })
  t.equal(started.statusCode, 202)
  const done = await settled(s, started.json<Action>().id)
  t.equal(done.status, 'succeeded')
  const redirect = await sim.authorize('netlify', String(done.result?.authorizeUrl))
  t.ok(redirect.redirectTo.startsWith(`${publicUrl}/api/integrations/oauth/netlify/callback?`), 'back to our callback')
  const path = `/api/integrations/oauth/netlify/callback?code=${encodeURIComponent(redirect.code)}&state=${encodeURIComponent(redirect.state!)}`
  const callback = await s.app.inject({ url: path, headers: { authorization: `Bearer ${s.token({ sub: 'u_owner' })}` } })
  t.equal(callback.statusCode, 200)
  t.match(callback.json(), { projectId: 'p_nfo', provider: 'netlify', connected: true, missingScopes: [] })
  t.ok(await s.app.integrationLinks.credentials('p_nfo', 'netlify'), 'the token is stored')
  t.ok(sim.calls.some((c) => c.provider === 'netlify' && c.path === `/sites/${SITE}`), 'verified with a live call')
  t.match(netlifyItem((await s.status('p_nfo')).json<StatusEnvelope>()), { configured: true, status: 'connected' })
  const replay = await s.app.inject({ url: path, headers: { authorization: `Bearer ${s.token({ sub: 'u_owner' })}` } })
  t.equal(replay.json().code, 'OAUTH_STATE_INVALID', 'a replayed state is refused')
})
