import { createHash } from 'node:crypto'
import t from 'tap'
import type { Test } from 'tap'
import { request } from 'undici'
import { fingerprint, startSimulator } from './simulator.js'
import type { OAuthProvider, Simulator } from './simulator.js'

const NOW = Date.parse('2026-11-26T12:00:00.000Z')
const MINUTE = 60_000
const CALLBACK = 'https://app.example.test/oauth/callback'
const APP = { clientId: 'Iv1.sim-client', clientSecret: 'sim-client-secret-1234' }

async function simulator (t: Test) {
  let clock = NOW
  const sim = await startSimulator({ now: () => clock })
  t.teardown(() => sim.close())
  for (const p of ['github', 'vercel', 'supabase'] as const) sim.registerOAuthApp(p, APP)
  return { sim, setClock: (ms: number) => { clock = ms } }
}

function authorizeUrl (sim: Simulator, provider: OAuthProvider, params: Record<string, string> = {}) {
  const base = {
    github: `${sim.baseUrls.githubOAuth}/login/oauth/authorize`,
    vercel: `${sim.baseUrls.vercelOAuth}/oauth/authorize`,
    supabase: `${sim.baseUrls.supabase}/v1/oauth/authorize`,
    netlify: `${sim.baseUrls.netlifyOAuth}/authorize`
  }[provider]
  const query = new URLSearchParams({
    client_id: APP.clientId,
    redirect_uri: CALLBACK,
    state: 'st-123',
    ...(provider === 'github' ? { scope: 'repo read:org' } : { response_type: 'code' }),
    ...params
  })
  return `${base}?${query}`
}

async function send (url: string, init: RequestInit = {}) {
  const res = await fetch(url, { redirect: 'manual', ...init })
  const text = await res.text()
  let body: any
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: res.status, headers: res.headers, text, body }
}

const form = (fields: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams(fields) })

function githubExchange (sim: Simulator, fields: Record<string, string>, accept: string | null = 'application/json') {
  return send(`${sim.baseUrls.githubOAuth}/login/oauth/access_token`, {
    ...form({ client_id: APP.clientId, client_secret: APP.clientSecret, redirect_uri: CALLBACK, ...fields }),
    headers: accept === null ? {} : { accept }
  })
}

function vercelExchange (sim: Simulator, fields: Record<string, string>) {
  return send(`${sim.baseUrls.vercel}/v2/oauth/access_token`,
    form({ client_id: APP.clientId, client_secret: APP.clientSecret, redirect_uri: CALLBACK, ...fields }))
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`

function supabaseExchange (sim: Simulator, fields: Record<string, string>, authorization = basic(APP.clientId, APP.clientSecret)) {
  return send(`${sim.baseUrls.supabase}/v1/oauth/token`, {
    ...form({ grant_type: 'authorization_code', redirect_uri: CALLBACK, ...fields }),
    headers: { authorization, accept: 'application/json' }
  })
}

const api = (url: string, token: string) => send(url, { headers: { authorization: `Bearer ${token}` } })

const BAD_CODE = {
  error: 'bad_verification_code',
  error_description: 'The code passed is incorrect or expired.',
  error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code'
}

t.test('base URLs of the OAuth web hosts', async (t) => {
  const { sim } = await simulator(t)
  t.equal(sim.baseUrls.githubOAuth, `${sim.url}/github-web`)
  t.equal(sim.baseUrls.vercelOAuth, `${sim.url}/vercel-web`)
})

t.test('github: the full flow over HTTP', async (t) => {
  const { sim } = await simulator(t)
  const authorize = await send(authorizeUrl(sim, 'github'))
  t.equal(authorize.status, 302)
  const location = new URL(authorize.headers.get('location')!)
  t.equal(`${location.origin}${location.pathname}`, CALLBACK)
  t.match(location.searchParams.get('code'), /^[0-9a-f]{20}$/)
  t.equal(location.searchParams.get('state'), 'st-123')

  const token = await githubExchange(sim, { code: location.searchParams.get('code')! })
  t.equal(token.status, 200)
  t.match(token.headers.get('content-type'), /^application\/json/)
  t.same(Object.keys(token.body), ['access_token', 'token_type', 'scope'])
  t.match(token.body, { access_token: /^gho_[A-Za-z0-9]{36}$/, token_type: 'bearer', scope: 'repo,read:org' })

  const user = await api(`${sim.baseUrls.github}/user`, token.body.access_token)
  t.equal(user.status, 200)
  t.equal(user.headers.get('x-oauth-scopes'), 'repo, read:org')
  const repo = await api(`${sim.baseUrls.github}/repos/octo/app`, token.body.access_token)
  t.equal(repo.status, 200)
  t.equal(repo.body.private, true, 'a repo token sees private repositories')
})

t.test('github: sim.authorize, single-use codes and a JSON request body', async (t) => {
  const { sim } = await simulator(t)
  const { code, state, redirectTo } = await sim.authorize('github', authorizeUrl(sim, 'github', { state: 'a b&c' }))
  t.equal(state, 'a b&c')
  t.ok(redirectTo.startsWith(`${CALLBACK}?code=${code}&state=`))

  const first = await send(`${sim.baseUrls.githubOAuth}/login/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ client_id: APP.clientId, client_secret: APP.clientSecret, code, redirect_uri: CALLBACK })
  })
  t.match(first.body, { access_token: /^gho_/ })
  const again = await githubExchange(sim, { code })
  t.equal(again.status, 200, 'GitHub answers its token errors 200')
  t.same(again.body, BAD_CODE)
  t.same((await githubExchange(sim, { code: 'not-a-code' })).body, BAD_CODE)

  const noState = await sim.authorize('github', authorizeUrl(sim, 'github').replace('&state=st-123', ''))
  t.equal(noState.state, null)
  t.notOk(new URL(noState.redirectTo).searchParams.has('state'))
})

t.test('github: codes expire after ten minutes of the simulator clock', async (t) => {
  const { sim, setClock } = await simulator(t)
  const early = await sim.authorize('github', authorizeUrl(sim, 'github'))
  const late = await sim.authorize('github', authorizeUrl(sim, 'github'))
  setClock(NOW + 10 * MINUTE - 1)
  t.match((await githubExchange(sim, { code: early.code })).body, { access_token: /^gho_/ }, 'valid just before')
  setClock(NOW + 10 * MINUTE)
  t.same((await githubExchange(sim, { code: late.code })).body, BAD_CODE)
})

t.test('github: wrong client credentials and redirect_uri mismatch', async (t) => {
  const { sim } = await simulator(t)
  const { code } = await sim.authorize('github', authorizeUrl(sim, 'github'))
  t.same((await githubExchange(sim, { code, client_secret: 'wrong' })).body, {
    error: 'incorrect_client_credentials',
    error_description: 'The client_id and/or client_secret passed are incorrect.',
    error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials'
  })
  t.equal((await githubExchange(sim, { code, client_id: 'other' })).body.error, 'incorrect_client_credentials')
  const mismatch = await githubExchange(sim, { code, redirect_uri: 'https://app.example.test/elsewhere' })
  t.equal(mismatch.status, 200)
  t.same(mismatch.body, {
    error: 'redirect_uri_mismatch',
    error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
    error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch2'
  })
  // Failed attempts do not spend the code; leaving redirect_uri out is allowed.
  const ok = await send(`${sim.baseUrls.githubOAuth}/login/oauth/access_token`, {
    ...form({ client_id: APP.clientId, client_secret: APP.clientSecret, code }),
    headers: { accept: 'application/json' }
  })
  t.match(ok.body, { access_token: /^gho_/ })

  sim.registerOAuthApp('github', { clientId: 'second', clientSecret: 'second-secret' })
  const foreign = await sim.authorize('github', authorizeUrl(sim, 'github'))
  const stolen = await githubExchange(sim, { code: foreign.code, client_id: 'second', client_secret: 'second-secret' })
  t.same(stolen.body, BAD_CODE, 'a code is bound to its client_id')
})

t.test('github: form-encoded answers without Accept: application/json', async (t) => {
  const { sim } = await simulator(t)
  const { code } = await sim.authorize('github', authorizeUrl(sim, 'github'))
  const res = await githubExchange(sim, { code }, null)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^application\/x-www-form-urlencoded/)
  t.match(res.text, /^access_token=gho_[A-Za-z0-9]{36}&scope=repo%2Cread%3Aorg&token_type=bearer$/)
  const fields = new URLSearchParams(res.text)
  t.equal((await api(`${sim.baseUrls.github}/user`, fields.get('access_token')!)).status, 200)

  const error = new URLSearchParams((await githubExchange(sim, { code }, 'application/vnd.github+xml')).text)
  t.same(Object.fromEntries(error), BAD_CODE)
})

t.test('github: granted scopes are honoured', async (t) => {
  const { sim } = await simulator(t)
  // The user grants less than asked.
  sim.setOAuthGrant('github', { scopes: ['public_repo', 'read:org'] })
  const narrow = await githubExchange(sim, { code: (await sim.authorize('github', authorizeUrl(sim, 'github'))).code })
  t.equal(narrow.body.scope, 'public_repo,read:org')
  const user = await api(`${sim.baseUrls.github}/user`, narrow.body.access_token)
  t.equal(user.status, 200)
  t.notMatch(user.headers.get('x-oauth-scopes'), /\brepo\b/)
  t.equal((await api(`${sim.baseUrls.github}/repos/octo/app`, narrow.body.access_token)).status, 404, 'private repo hidden')

  // Without a grant, exactly the requested scopes; none asked = none granted.
  sim.setOAuthGrant('github', {})
  const asked = await sim.authorize('github', authorizeUrl(sim, 'github', { scope: 'read:user,user:email' }))
  const readUser = await githubExchange(sim, { code: asked.code })
  t.equal(readUser.body.scope, 'read:user,user:email')
  t.equal((await api(`${sim.baseUrls.github}/user`, readUser.body.access_token)).headers.get('x-oauth-scopes'), 'public_repo')
  const none = await githubExchange(sim, { code: (await sim.authorize('github', authorizeUrl(sim, 'github', { scope: '' }))).code })
  t.equal(none.body.scope, '')

  // An explicit scenario wins, with its options.
  sim.setOAuthGrant('github', { scopes: ['repo'], scenario: 'stale', scenarioOptions: { login: 'hubot' } })
  const stale = await githubExchange(sim, { code: (await sim.authorize('github', authorizeUrl(sim, 'github'))).code })
  t.equal(stale.body.scope, 'repo')
  t.equal((await api(`${sim.baseUrls.github}/user`, stale.body.access_token)).body.login, 'hubot')
  t.equal(sim.calls.at(-1)!.scenario, 'stale')
})

t.test('github: authorize errors', async (t) => {
  const { sim } = await simulator(t)
  const missing = await send(authorizeUrl(sim, 'github').replace(/&redirect_uri=[^&]+/, ''))
  t.equal(missing.status, 400)
  t.match(missing.headers.get('content-type'), /^text\/plain/)
  t.match(missing.text, /redirect_uri/)
  t.equal((await send(authorizeUrl(sim, 'github', { redirect_uri: 'javascript:alert(1)' }))).status, 400)
  t.equal((await send(authorizeUrl(sim, 'github', { redirect_uri: 'not a url' }))).status, 400)
  const unknown = await send(authorizeUrl(sim, 'github', { client_id: 'nobody' }))
  t.equal(unknown.status, 400)
  t.match(unknown.text, /^invalid_client/)
  await t.rejects(sim.authorize('github', authorizeUrl(sim, 'github', { client_id: 'nobody' })), /answered 400/)
  await t.rejects(sim.authorize('github', authorizeUrl(sim, 'vercel')), /not the simulator's github authorize endpoint/)
  await t.rejects(sim.authorize('github', 'https://github.com/login/oauth/authorize?client_id=x'), /not the simulator's/)
  t.equal((await send(`${sim.baseUrls.githubOAuth}/login/oauth/access_token`)).status, 404, 'GET on the token endpoint')
  t.equal((await send(`${sim.baseUrls.githubOAuth}/elsewhere`)).status, 404)
})

t.test('vercel: the full flow over HTTP', async (t) => {
  const { sim } = await simulator(t)
  const authorize = await send(authorizeUrl(sim, 'vercel'))
  t.equal(authorize.status, 302)
  const location = new URL(authorize.headers.get('location')!)
  t.equal(location.searchParams.get('state'), 'st-123')

  const token = await vercelExchange(sim, { code: location.searchParams.get('code')! })
  t.equal(token.status, 200)
  t.same(Object.keys(token.body), ['token_type', 'access_token', 'installation_id', 'user_id', 'team_id'])
  t.match(token.body, { token_type: 'Bearer', access_token: /^[A-Za-z0-9]{24}$/, installation_id: /^icfg_[A-Za-z0-9]{24}$/, user_id: 'usr_sim', team_id: null })

  const user = await api(`${sim.baseUrls.vercel}/v2/user`, token.body.access_token)
  t.equal(user.status, 200)
  t.equal(user.body.user.id, token.body.user_id)
  const deployments = await api(`${sim.baseUrls.vercel}/v6/deployments?limit=1`, token.body.access_token)
  t.equal(deployments.body.deployments[0].readyState, 'READY')

  t.equal((await vercelExchange(sim, { code: location.searchParams.get('code')! })).body.error, 'invalid_grant', 'single use')
})

t.test('vercel: grants and errors', async (t) => {
  const { sim, setClock } = await simulator(t)
  sim.setOAuthGrant('vercel', { scenario: 'production_failing', teamId: 'team_sim' })
  const { code } = await sim.authorize('vercel', authorizeUrl(sim, 'vercel'))

  const secret = await vercelExchange(sim, { code, client_secret: 'wrong' })
  t.equal(secret.status, 401)
  t.same(Object.keys(secret.body), ['error', 'error_description'])
  t.equal(secret.body.error, 'invalid_client')
  const mismatch = await vercelExchange(sim, { code, redirect_uri: 'https://app.example.test/elsewhere' })
  t.equal(mismatch.status, 400)
  t.equal(mismatch.body.error, 'invalid_grant')
  const json = await send(`${sim.baseUrls.vercel}/v2/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: APP.clientId, client_secret: APP.clientSecret, code, redirect_uri: CALLBACK })
  })
  t.equal(json.status, 400, 'the token endpoint takes a form body')
  t.equal(json.body.error, 'invalid_request')

  const ok = await vercelExchange(sim, { code })
  t.equal(ok.body.team_id, 'team_sim')
  const failing = await api(`${sim.baseUrls.vercel}/v6/deployments?target=production&limit=1`, ok.body.access_token)
  t.equal(failing.body.deployments[0].readyState, 'ERROR', 'the token carries the granted scenario')

  const late = await sim.authorize('vercel', authorizeUrl(sim, 'vercel'))
  setClock(NOW + 11 * MINUTE)
  const expired = await vercelExchange(sim, { code: late.code })
  t.equal(expired.status, 400)
  t.equal(expired.body.error, 'invalid_grant')

  const unknown = await send(authorizeUrl(sim, 'vercel', { client_id: 'nobody' }))
  t.equal(unknown.status, 400)
  t.equal(unknown.body.error, 'invalid_client')
  t.equal((await send(authorizeUrl(sim, 'vercel', { response_type: 'token' }))).body.error, 'unsupported_response_type')
  t.throws(() => sim.setOAuthGrant('vercel', { scenario: 'paused' }), /does not apply/)
})

t.test('supabase: the full flow over HTTP, with PKCE and refresh', async (t) => {
  const { sim } = await simulator(t)
  const verifier = 'v'.repeat(43)
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  const authorize = await send(authorizeUrl(sim, 'supabase', { code_challenge: challenge, code_challenge_method: 'S256' }))
  t.equal(authorize.status, 302)
  const code = new URL(authorize.headers.get('location')!).searchParams.get('code')!

  t.equal((await supabaseExchange(sim, { code })).body.error, 'invalid_grant', 'the code_verifier is required')
  t.equal((await supabaseExchange(sim, { code, code_verifier: 'w'.repeat(43) })).body.error, 'invalid_grant')
  const token = await supabaseExchange(sim, { code, code_verifier: verifier })
  t.equal(token.status, 201)
  t.same(Object.keys(token.body), ['access_token', 'refresh_token', 'expires_in', 'token_type'])
  t.match(token.body, { access_token: /^sbp_oauth_[0-9a-f]{40}$/, refresh_token: String, expires_in: 3600, token_type: 'Bearer' })

  const project = await api(`${sim.baseUrls.supabase}/v1/projects/ref1`, token.body.access_token)
  t.equal(project.status, 200)
  t.equal(project.body.status, 'ACTIVE_HEALTHY')
  t.equal((await supabaseExchange(sim, { code, code_verifier: verifier })).status, 400, 'single use')

  const refreshed = await send(`${sim.baseUrls.supabase}/v1/oauth/token`, {
    ...form({ grant_type: 'refresh_token', refresh_token: token.body.refresh_token }),
    headers: { authorization: basic(APP.clientId, APP.clientSecret) }
  })
  t.equal(refreshed.status, 201)
  t.not(refreshed.body.access_token, token.body.access_token)
  t.equal((await api(`${sim.baseUrls.supabase}/v1/projects/ref1`, refreshed.body.access_token)).status, 200)
  const reused = await send(`${sim.baseUrls.supabase}/v1/oauth/token`, {
    ...form({ grant_type: 'refresh_token', refresh_token: token.body.refresh_token }),
    headers: { authorization: basic(APP.clientId, APP.clientSecret) }
  })
  t.equal(reused.body.error, 'invalid_grant', 'refresh tokens rotate')
})

t.test('supabase: grants and errors', async (t) => {
  const { sim, setClock } = await simulator(t)
  sim.setOAuthGrant('supabase', { scenario: 'paused' })
  const { code } = await sim.authorize('supabase', authorizeUrl(sim, 'supabase'))

  const secret = await supabaseExchange(sim, { code }, basic(APP.clientId, 'wrong'))
  t.equal(secret.status, 401)
  t.equal(secret.body.error, 'invalid_client')
  t.equal(secret.headers.get('www-authenticate'), 'Basic realm="supabase"')
  t.equal((await supabaseExchange(sim, { code }, 'Bearer nothing')).status, 401, 'no client authentication')
  t.equal((await supabaseExchange(sim, { code: 'nope' })).body.error, 'invalid_grant')
  t.equal((await supabaseExchange(sim, { code, redirect_uri: 'https://app.example.test/x' })).body.error, 'invalid_grant')
  t.equal((await supabaseExchange(sim, { code, grant_type: 'password' })).body.error, 'unsupported_grant_type')

  // client_secret_post works too.
  const post = await send(`${sim.baseUrls.supabase}/v1/oauth/token`,
    form({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: APP.clientId, client_secret: APP.clientSecret }))
  t.equal(post.status, 201)
  t.equal((await api(`${sim.baseUrls.supabase}/v1/projects/ref1`, post.body.access_token)).body.status, 'INACTIVE')

  const late = await sim.authorize('supabase', authorizeUrl(sim, 'supabase'))
  setClock(NOW + 10 * MINUTE)
  t.equal((await supabaseExchange(sim, { code: late.code })).body.error, 'invalid_grant', 'expired')

  const noType = await send(authorizeUrl(sim, 'supabase').replace('&response_type=code', ''))
  t.equal(noType.status, 400)
  t.equal(noType.body.error, 'unsupported_response_type')
  t.equal((await send(authorizeUrl(sim, 'supabase', { client_id: 'nobody' }))).body.error, 'invalid_client')
  // Paths beyond the OAuth ones still reach the Supabase module.
  t.equal((await api(`${sim.baseUrls.supabase}/v1/oauth/elsewhere`, 'x')).status, 401)
})

t.test('the call log keeps fingerprints, never secrets, codes or tokens', async (t) => {
  const { sim } = await simulator(t)
  const gh = await sim.authorize('github', authorizeUrl(sim, 'github'))
  const ghToken = (await githubExchange(sim, { code: gh.code })).body.access_token
  const sb = await sim.authorize('supabase', authorizeUrl(sim, 'supabase'))
  const sbToken = (await supabaseExchange(sim, { code: sb.code })).body
  const plain = await request(`${sim.baseUrls.vercel}/v2/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: `client_secret=${APP.clientSecret}`
  })
  t.equal(plain.statusCode, 400)
  await plain.body.dump()

  // Each secret must exist, or "not in the log" would be checked against "undefined".
  t.match(ghToken, /^gho_/)
  t.match(sbToken.access_token, /^sbp_oauth_/)
  t.type(sbToken.refresh_token, 'string')
  const log = JSON.stringify(sim.calls)
  const secrets = { clientSecret: APP.clientSecret, githubCode: gh.code, supabaseCode: sb.code, githubToken: ghToken, supabaseToken: sbToken.access_token, refreshToken: sbToken.refresh_token }
  for (const [name, secret] of Object.entries(secrets)) {
    t.notOk(log.includes(String(secret)), `${name} not logged`)
  }
  t.equal(sim.callCount({ provider: 'github', path: '/login/oauth/access_token', method: 'POST' }), 1)
  t.equal(sim.callCount({ provider: 'supabase', path: '/v1/oauth/authorize' }), 1)
  const exchange = sim.calls.find((c) => c.path === '/login/oauth/access_token')!
  t.match(exchange, {
    provider: 'github',
    method: 'POST',
    tokenFingerprint: null,
    scenario: 'unregistered',
    at: NOW,
    body: { client_id: APP.clientId, client_secret: fingerprint(APP.clientSecret), code: fingerprint(gh.code), redirect_uri: CALLBACK }
  })
  t.match(sim.calls.find((c) => c.path === '/login/oauth/authorize'), { query: { client_id: APP.clientId, state: 'st-123', scope: 'repo read:org' } })
  const supabaseExchangeCall = sim.calls.find((c) => c.path === '/v1/oauth/token')!
  t.equal(supabaseExchangeCall.headers.authorization, undefined, 'Basic credentials are not kept')
  t.equal(sim.calls.at(-1)!.body, fingerprint(`client_secret=${APP.clientSecret}`), 'an unparsed body is fingerprinted whole')
})

t.test('reset forgets apps, grants, codes and issued tokens', async (t) => {
  const { sim } = await simulator(t)
  const { code } = await sim.authorize('github', authorizeUrl(sim, 'github'))
  const token = (await githubExchange(sim, { code })).body.access_token
  const pending = await sim.authorize('github', authorizeUrl(sim, 'github'))
  sim.reset()
  t.equal((await api(`${sim.baseUrls.github}/user`, token)).status, 401)
  t.equal((await send(authorizeUrl(sim, 'github'))).status, 400, 'app forgotten')
  sim.registerOAuthApp('github', APP)
  t.same((await githubExchange(sim, { code: pending.code })).body, BAD_CODE, 'code forgotten')
  t.throws(() => sim.registerOAuthApp('sanity' as OAuthProvider, APP), /no OAuth endpoints/)
  t.throws(() => sim.registerOAuthApp('github', { clientId: 'x', clientSecret: '' }), /clientSecret/)
})

t.test('the global delay applies to OAuth endpoints', async (t) => {
  const { sim } = await simulator(t)
  sim.setDelay(150)
  await sim.authorize('github', authorizeUrl(sim, 'github'))
  t.equal(sim.calls.at(-1)?.delayMs, 150, 'the answer was held back by the global delay')
})
