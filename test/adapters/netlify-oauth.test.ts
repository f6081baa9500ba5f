import t from 'tap'
import type { Test } from 'tap'
import { startSimulator } from '../simulator/simulator.js'
import { createProviderHttp } from '../../src/provider-kit/http.js'
import { netlifyAuthorizeUrl, netlifyOAuth, netlifyTokenUrl, verifyNetlifyCredentials } from '../../adapters/netlify/oauth.js'
import type { ProviderHttp } from '../../src/provider-kit/http.js'
import { netlifyProvider } from '../../adapters/netlify/index.js'
import { NETLIFY_DEFAULT_API_URL } from '../../adapters/netlify/config.js'
import { resolveProviderEnv } from '../../src/aggregator/providers.js'

const APP = { clientId: 'nf_client_1', clientSecret: 'nf_secret_1' }
const REDIRECT = 'http://127.0.0.1:3000/api/integrations/oauth/netlify/callback'
const SITE = '3970e0fe-8564-4903-9a55-c5f8de49fb8b'

async function setup (t: Test) {
  const sim = await startSimulator()
  const http = createProviderHttp()
  t.teardown(async () => {
    await http.close()
    await sim.close()
  })
  sim.registerOAuthApp('netlify', APP)
  const client = { ...APP, webUrl: sim.baseUrls.netlifyOAuth }
  const signal = () => AbortSignal.timeout(3000)
  return { sim, http, client, signal }
}

/** The manifest's exchange step against `apiUrl`: a token, or the OAuthFailure's message. */
async function exchange (http: ProviderHttp, apiUrl: string, client: { clientId: string, clientSecret: string, webUrl: string }, code: string, redirectUri: string, signal: AbortSignal) {
  const steps = netlifyOAuth({ webUrl: client.webUrl, apiUrl, client })
  try {
    return { ok: true as const, ...await steps.exchange({ http, client, code, redirectUri, signal }) }
  } catch (error) {
    return { ok: false as const, code: (error as { code?: string }).code, reason: (error as Error).message }
  }
}

t.test('the token endpoint sits beside the API', async (t) => {
  t.equal(netlifyTokenUrl('https://api.netlify.com/api/v1'), 'https://api.netlify.com/oauth/token')
  t.equal(netlifyTokenUrl('http://127.0.0.1:9/netlify/api/v1/'), 'http://127.0.0.1:9/netlify/oauth/token')
  t.equal(netlifyTokenUrl('https://proxy.example/netlify'), 'https://proxy.example/oauth/token', 'a base without /api/v1: the host\'s')
})

t.test('authorize, exchange, verify: a token that reads the site', async (t) => {
  const { sim, http, client, signal } = await setup(t)
  const url = netlifyAuthorizeUrl(client, REDIRECT, 'state-1')
  t.equal(url, `${sim.baseUrls.netlifyOAuth}/authorize?client_id=nf_client_1&response_type=code&redirect_uri=${encodeURIComponent(REDIRECT)}&state=state-1`)
  const { code, state } = await sim.authorize('netlify', url)
  t.equal(state, 'state-1')

  const exchanged = await exchange(http, sim.baseUrls.netlify, client, code, REDIRECT, signal())
  t.ok(exchanged.ok, 'the code became a token')
  const token = exchanged.ok ? exchanged.token : ''
  const call = sim.calls.find((c) => c.path === '/oauth/token')
  t.match(call, { provider: 'netlify', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.match(call?.body, { grant_type: 'authorization_code', redirect_uri: REDIRECT, client_id: APP.clientId, client_secret: /^sha256:/, code: /^sha256:/ })

  t.strictSame(await verifyNetlifyCredentials(http, sim.baseUrls.netlify, { siteId: SITE }, { token }, signal()), { ok: true })
  t.match(sim.calls.at(-1), { method: 'GET', path: `/sites/${SITE}` })

  const again = await exchange(http, sim.baseUrls.netlify, client, code, REDIRECT, signal())
  t.strictSame(again, { ok: false, code: 'code_rejected', reason: 'Netlify refused the code (invalid_grant)' }, 'a code is redeemed once')
})

t.test('refusals are reasons, never secrets', async (t) => {
  const { sim, http, client, signal } = await setup(t)
  const code = (await sim.authorize('netlify', netlifyAuthorizeUrl(client, REDIRECT, 's'))).code
  const wrongSecret = await exchange(http, sim.baseUrls.netlify, { ...client, clientSecret: 'nope' }, code, REDIRECT, signal())
  t.strictSame(wrongSecret, { ok: false, code: 'code_rejected', reason: 'Netlify refused the code (invalid_client)' })
  const wrongRedirect = await exchange(http, sim.baseUrls.netlify, client, code, 'http://elsewhere.example/cb', signal())
  t.strictSame(wrongRedirect, { ok: false, code: 'code_rejected', reason: 'Netlify refused the code (invalid_grant)' })
  const unreachable = await exchange(http, 'http://127.0.0.1:9/api/v1', client, code, REDIRECT, signal())
  t.strictSame(unreachable, { ok: false, code: 'code_rejected', reason: 'Netlify\'s token endpoint could not be reached' })
})

t.test('a pasted token is verified against the linked site', async (t) => {
  const { sim, http, signal } = await setup(t)
  sim.setScenario('netlify', 'good', 'healthy')
  sim.setScenario('netlify', 'gone', 'revoked')
  sim.setScenario('netlify', 'blind', 'healthy', { unknownSites: [SITE] })
  sim.setScenario('netlify', 'broken', 'server_error')
  const verify = (token: string) => verifyNetlifyCredentials(http, sim.baseUrls.netlify, { siteId: SITE }, { token }, signal())
  t.strictSame(await verify('good'), { ok: true })
  t.strictSame(await verify('gone'), { ok: false, revoked: true, reason: 'Netlify rejected the token' })
  t.strictSame(await verify('blind'), { ok: false, reason: 'Netlify shows this token no such site: check the site id, or use a token of an account that can see the site' })
  t.strictSame(await verify('broken'), { ok: false, reason: 'Netlify answered 500' })
  const unreachable = await verifyNetlifyCredentials(http, 'http://127.0.0.1:9/api/v1', { siteId: SITE }, { token: 'good' }, signal())
  t.strictSame(unreachable, { ok: false, reason: 'Netlify could not be checked (unknown)' })
})

t.test('the manifest from the environment', async (t) => {
  const setup = (env: Record<string, string>) => netlifyProvider.setup(resolveProviderEnv(netlifyProvider, env) as never)
  const defaults = resolveProviderEnv(netlifyProvider, {})
  t.equal(defaults.NETLIFY_API_URL, NETLIFY_DEFAULT_API_URL, 'the API default')
  t.equal(setup({}).oauth, undefined, 'no OAuth without an app: connect takes a personal access token')
  t.throws(() => setup({ NETLIFY_OAUTH_CLIENT_ID: 'id' }), /set both/, 'an id without a secret stops boot')
  const adapter = setup({
    NETLIFY_API_URL: 'http://127.0.0.1:9/netlify/api/v1/',
    NETLIFY_OAUTH_URL: 'http://127.0.0.1:9/netlify-web',
    NETLIFY_OAUTH_CLIENT_ID: 'id',
    NETLIFY_OAUTH_CLIENT_SECRET: 'secret',
    NETLIFY_WEBHOOK_SECRET: 'whsecret1'
  })
  t.equal(netlifyProvider.key, 'netlify')
  t.equal(netlifyProvider.label, 'Netlify')
  t.equal(resolveProviderEnv(netlifyProvider, { NETLIFY_API_URL: 'http://127.0.0.1:9/netlify/api/v1/' }).NETLIFY_API_URL, 'http://127.0.0.1:9/netlify/api/v1', 'trailing slash trimmed')
  const client = adapter.oauth!.client!
  t.equal(adapter.oauth?.authorizeUrl({ client, redirectUri: REDIRECT, state: 's' }), `http://127.0.0.1:9/netlify-web/authorize?client_id=id&response_type=code&redirect_uri=${encodeURIComponent(REDIRECT)}&state=s`)
  t.strictSame(adapter.oauth?.requiredScopes, [])
  t.match(adapter.webhook, { path: 'netlify', secret: 'whsecret1' })
  t.equal(netlifyProvider.credentials?.properties.token?.writeOnly, true, 'the token is write-only in the credential schema')
  t.equal(typeof adapter.verifyCredentials, 'function', 'a pasted token is proven before it is stored')
})
