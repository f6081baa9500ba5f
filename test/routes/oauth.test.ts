import t from 'tap'
import { eachBackend } from '../helper.js'
import { statusApp, type StatusApp } from '../support/status-app.js'
import { post, settled } from '../support/actions.js'
import { startSimulator } from '../simulator/simulator.js'
import type { Action } from '../../src/schemas/action.js'
import type { StatusEnvelope } from '../../src/schemas/integration-status.js'

const PUBLIC_URL = 'https://status.example.test'
const APPS = {
  github: { clientId: 'gh-client', clientSecret: 'gh-secret-value-1234' },
  vercel: { clientId: 'vc-client', clientSecret: 'vc-secret-value-1234' },
  supabase: { clientId: 'sb-client', clientSecret: 'sb-secret-value-1234' }
} as const

eachBackend(t, 'OAuth connect and reconnect against the providers\' flows', async (t, backend) => {
  let now = Date.now()
  const sim = await startSimulator({ now: () => now })
  t.teardown(() => sim.close())
  for (const [provider, app] of Object.entries(APPS)) sim.registerOAuthApp(provider as keyof typeof APPS, app)
  const s = await statusApp(t, {
    backend,
    sim,
    now: () => now,
    env: {
      PUBLIC_URL,
      GITHUB_OAUTH_URL: sim.baseUrls.githubOAuth,
      GITHUB_OAUTH_CLIENT_ID: APPS.github.clientId,
      GITHUB_OAUTH_CLIENT_SECRET: APPS.github.clientSecret,
      VERCEL_OAUTH_URL: sim.baseUrls.vercelOAuth,
      VERCEL_OAUTH_CLIENT_ID: APPS.vercel.clientId,
      VERCEL_OAUTH_CLIENT_SECRET: APPS.vercel.clientSecret,
      SUPABASE_OAUTH_CLIENT_ID: APPS.supabase.clientId,
      SUPABASE_OAUTH_CLIENT_SECRET: APPS.supabase.clientSecret
    }
  })

  /** connect (or reconnect) → the consent URL from the action's result → the provider's redirect. */
  async function consent (app: StatusApp, projectId: string, provider: 'github' | 'vercel' | 'supabase', action: 'connect' | 'reconnect', config?: Record<string, unknown>) {
    const response = await post(app, { projectId, provider, action, ...(config ? { params: { config } } : {}) })
    t.equal(response.statusCode, 202, `${provider} ${action} accepted`)
    const done = await settled(app, response.json<Action>().id)
    t.equal(done.status, 'succeeded')
    const authorizeUrl = String(done.result?.authorizeUrl)
    const redirect = await sim.authorize(provider, authorizeUrl)
    t.ok(redirect.redirectTo.startsWith(`${PUBLIC_URL}/api/integrations/oauth/${provider}/callback?`), 'back to our callback')
    return { ...redirect, callback: `/api/integrations/oauth/${provider}/callback?code=${encodeURIComponent(redirect.code)}&state=${encodeURIComponent(redirect.state!)}` }
  }
  // The browser coming back carries the session of the user who started the connection.
  const callback = (path: string, sub = 'u_owner') => s.app.inject({ url: path, headers: { authorization: `Bearer ${s.token({ sub })}` } })

  t.test('GitHub: connect, the token proven and stored, replay refused', async (t) => {
    const config = { owner: 'acme', repo: 'site', branch: 'main' }
    const { callback: path } = await consent(s, 'p_oa1', 'github', 'connect', config)
    const done = await callback(path)
    t.equal(done.statusCode, 200)
    t.match(done.json(), { projectId: 'p_oa1', provider: 'github', connected: true, missingScopes: [] })
    t.match((await s.app.integrationLinks.credentials('p_oa1', 'github'))?.token, /^gho_/, 'stored (encrypted) as the link\'s token')
    t.match((await s.status('p_oa1')).json<StatusEnvelope>().items[0], { configured: true, status: 'connected' })
    t.ok(sim.calls.some((c) => c.provider === 'github' && c.path === '/user'), 'verified with a live call')
    const replay = await callback(path)
    t.equal(replay.statusCode, 400)
    t.equal(replay.json().code, 'OAUTH_STATE_INVALID')
  })

  t.test('GitHub: missing scopes are named, and the status warns', async (t) => {
    sim.setOAuthGrant('github', { scopes: ['public_repo'] })
    t.teardown(() => sim.setOAuthGrant('github', {}))
    const { callback: path } = await consent(s, 'p_oa2', 'github', 'connect', { owner: 'acme', repo: 'site', branch: 'main' })
    const done = await callback(path)
    t.match(done.json(), { connected: true, missingScopes: ['repo'] })
    const item = (await s.status('p_oa2')).json<StatusEnvelope>().items[0]!
    t.match(item, { status: 'warning', problem: { hint: /repo/ } })
    t.ok(item.actions?.some((a) => a.id === 'reconnect'), 'and offers reconnect')
  })

  t.test('a tampered, expired or foreign state stores nothing', async (t) => {
    const config = { owner: 'acme', repo: 'site', branch: 'main' }
    const { code, state } = await consent(s, 'p_oa3', 'github', 'connect', config)
    const tampered = state!.slice(0, -2) + (state!.endsWith('AA') ? 'BB' : 'AA')
    const bad = await callback(`/api/integrations/oauth/github/callback?code=${code}&state=${encodeURIComponent(tampered)}`)
    t.equal(bad.statusCode, 400)
    t.equal(bad.json().code, 'OAUTH_STATE_INVALID')
    const wrongProvider = await callback(`/api/integrations/oauth/vercel/callback?code=${code}&state=${encodeURIComponent(state!)}`)
    t.equal(wrongProvider.statusCode, 400, 'a GitHub state is no good for Vercel')
    const otherUser = await callback(`/api/integrations/oauth/github/callback?code=${code}&state=${encodeURIComponent(state!)}`, 'u_someone_who_read_the_url')
    t.equal(otherUser.statusCode, 400, 'nor for another user')
    const anonymous = await s.app.inject({ url: `/api/integrations/oauth/github/callback?code=${code}&state=${encodeURIComponent(state!)}` })
    t.equal(anonymous.statusCode, 401, 'nor for nobody')
    now += 11 * 60_000
    const late = await callback(`/api/integrations/oauth/github/callback?code=${code}&state=${encodeURIComponent(state!)}`)
    t.equal(late.statusCode, 400)
    t.match(late.json().message, /expired/)
    t.notOk(await s.app.integrationLinks.credentials('p_oa3', 'github'), 'nothing stored')
    const denied = await consent(s, 'p_oa4', 'github', 'connect', config)
    const refused = await callback(`/api/integrations/oauth/github/callback?error=access_denied&state=${encodeURIComponent(denied.state!)}`)
    t.equal(refused.statusCode, 400)
    t.equal(refused.json().code, 'OAUTH_CODE_REJECTED')
  })

  t.test('reconnect after a revoked token', async (t) => {
    await s.link('p_oa5', 'github', 'revoked', { config: { owner: 'acme', repo: 'site', branch: 'main' } })
    t.match((await s.status('p_oa5')).json<StatusEnvelope>().items[0], { configuredReason: 'revoked' })
    const { callback: path } = await consent(s, 'p_oa5', 'github', 'reconnect')
    t.equal((await callback(path)).statusCode, 200)
    t.match((await s.status('p_oa5')).json<StatusEnvelope>().items[0], { status: 'connected' })
    t.notOk((await s.status('p_oa5')).json<StatusEnvelope>().items[0]!.configuredReason, 'no longer revoked')
  })

  t.test('GitHub disconnect revokes a grant our OAuth app issued, and says when it cannot', async (t) => {
    const { callback: path } = await consent(s, 'p_oa8', 'github', 'connect', { owner: 'acme', repo: 'site', branch: 'main' })
    t.equal((await callback(path)).statusCode, 200)
    const token = (await s.app.integrationLinks.credentials('p_oa8', 'github'))!.token
    const done = await settled(s, (await post(s, { projectId: 'p_oa8', provider: 'github', action: 'disconnect' })).json<Action>().id)
    t.match(done, { status: 'succeeded', result: { unlinked: true, revokedAtProvider: true } })
    const revoke = sim.calls.find((c) => c.method === 'DELETE' && c.path === `/applications/${APPS.github.clientId}/grant`)
    t.ok(revoke, 'GitHub was asked to revoke the grant')
    t.notMatch(JSON.stringify(sim.calls), token, 'the token never appears in the call log')
    const user = await fetch(`${sim.baseUrls.github}/user`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(user.status, 401, 'the token no longer works at GitHub')

    await s.link('p_oa9', 'github') // a token pasted by hand, not our app's
    const pasted = await settled(s, (await post(s, { projectId: 'p_oa9', provider: 'github', action: 'disconnect' })).json<Action>().id)
    t.match(pasted, { status: 'succeeded', result: { unlinked: true, revokedAtProvider: false, note: /not issued through this service/ } })
  })

  t.test('Vercel and Supabase', async (t) => {
    const vercel = await consent(s, 'p_oa6', 'vercel', 'connect', { projectId: 'prj_site' })
    t.match((await callback(vercel.callback)).json(), { connected: true, provider: 'vercel' })
    t.match((await s.status('p_oa6')).json<StatusEnvelope>().items[1], { configured: true, status: 'connected' })
    const supabase = await consent(s, 'p_oa7', 'supabase', 'connect', { projectRef: 'abcdefghij' })
    t.match((await callback(supabase.callback)).json(), { connected: true, provider: 'supabase' })
    t.match((await s.app.integrationLinks.credentials('p_oa7', 'supabase'))?.token, /^sbp_oauth_/)
  })
})
