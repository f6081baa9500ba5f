import { createHmac, randomUUID } from 'node:crypto'
import t from 'tap'
import { createSigner } from 'fast-jwt'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { build, eachBackend, eachBackendAndTokenKind, TEST_JWT_SECRET, TEST_ORIGIN } from '../helper.js'
import { expectError } from '../support/openapi-ops.js'

/**
 * Tokens that must not authenticate (by bearer and by session cookie), the CSRF rules for
 * cookie-authenticated writes, and the security headers and CORS answers of several routes.
 */

const P = 'p_tok'
const LINK = { config: { owner: 'acme', repo: 'web', branch: 'main' }, credentials: { token: 'tok_tokens' } }
const LINKS_URL = `/api/projects/${P}/integrations`
const EVIL_ORIGIN = 'https://evil.example.test'

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const nowSeconds = () => Math.floor(Date.now() / 1000)
const ownerClaims = (extra: Record<string, unknown> = {}) => ({ sub: 'u_owner', roles: { [P]: 'owner' as const }, ...extra })

// Over both token kinds: the valid and tampered tokens are the service's HS256 ones or an identity
// provider's RS256 ones (JWKS on loopback, HS256 on too); the hand-signed HS256 ones stay.
eachBackendAndTokenKind(t, 'tokens that must not authenticate', async (t, backend, tokenKind) => {
  const s = await build(t, { backend, tokenKind, env: { GITHUB_API_URL: 'http://127.0.0.1:9' } })
  const valid = s.token(ownerClaims())
  const get = (options: Partial<InjectOptions>) => s.app.inject({ method: 'GET', url: LINKS_URL, ...options })

  // Controls: the same request succeeds with a valid token, by bearer and by cookie.
  t.equal((await get({ headers: { authorization: `Bearer ${valid}` } })).statusCode, 200, 'control: valid bearer token')
  t.equal((await get({ cookies: { is_session: valid } })).statusCode, 200, 'control: valid session cookie')

  const [header, payload, signature] = valid.split('.') as [string, string, string]
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString())
  // Signed by hand: fast-jwt's signer refuses some of the malformed claims tested here.
  const signHs256 = (claims: object, key = TEST_JWT_SECRET) => {
    const unsigned = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`
    return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`
  }
  t.equal((await get({ headers: { authorization: `Bearer ${signHs256(ownerClaims({ exp: nowSeconds() + 3600 }))}` } })).statusCode, 200,
    'control: a hand-signed token with valid claims authenticates, so the hand-signed refusals below are the claims\' fault')

  const bad: Array<[string, string, string?]> = [
    ['alg none, no signature', `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(ownerClaims({ exp: nowSeconds() + 3600 }))}.`],
    ['alg none with the original signature', `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`],
    ['alg "None"', `${b64url({ alg: 'None', typ: 'JWT' })}.${b64url(ownerClaims({ exp: nowSeconds() + 3600 }))}.`],
    // Expired, with a good signature: the client is told to get a new token.
    ['expired an hour ago', signHs256(ownerClaims({ exp: nowSeconds() - 3600 })), 'TOKEN_EXPIRED'],
    ['expired a minute ago', s.token(ownerClaims(), { expiresInSeconds: -60 }), 'TOKEN_EXPIRED'],
    ['signed with another key', signHs256(ownerClaims({ exp: nowSeconds() + 3600 }), 'another-secret-that-is-long-enough-for-hs256-9876543210')],
    ['HS512 with the right key', createSigner({ key: TEST_JWT_SECRET, algorithm: 'HS512' })(ownerClaims({ exp: nowSeconds() + 3600 }))],
    ['tampered: roles changed after signing', `${header}.${b64url({ ...decoded, roles: { [P]: 'owner', p_other: 'owner' } })}.${signature}`],
    ['tampered: sub changed after signing', `${header}.${b64url({ ...decoded, sub: 'u_admin' })}.${signature}`],
    ['tampered: exp extended after signing', `${header}.${b64url({ ...decoded, exp: decoded.exp + 86400 })}.${signature}`],
    ['tampered header: alg HS384', `${b64url({ alg: 'HS384', typ: 'JWT' })}.${payload}.${signature}`],
    ['signature truncated', `${header}.${payload}.${signature.slice(0, -2)}`],
    ['signature of another token', `${header}.${payload}.${s.token(ownerClaims({ sub: 'u_other' })).split('.')[2]}`],
    ['missing exp', signHs256(ownerClaims())],
    ['exp as a string', signHs256(ownerClaims({ exp: String(nowSeconds() + 3600) }))],
    ['missing sub', signHs256({ roles: { [P]: 'owner' }, exp: nowSeconds() + 3600 })],
    ['roles with an unknown role', signHs256(ownerClaims({ roles: { [P]: 'superuser' }, exp: nowSeconds() + 3600 }))],
    ['roles not an object', signHs256(ownerClaims({ roles: [P], exp: nowSeconds() + 3600 }))],
    ['empty', ''],
    ['one segment', 'abcdef'],
    ['two segments', `${header}.${payload}`],
    ['four segments', `${valid}.${signature}`],
    ['three empty segments', '..'],
    ['a.b.c', 'a.b.c'],
    ['not base64 JSON', `${b64url('not json')}.${b64url('not json')}.${signature}`],
    ['JSON array payload', `${header}.${b64url([1, 2])}.${signature}`],
    ['huge', `${header}.${'A'.repeat(20_000)}.${signature}`],
    ['valid token with a trailing space', `${valid} `],
    ['valid token with an inner space', `${header}. ${payload}.${signature}`]
  ]

  for (const [what, token, code = 'UNAUTHENTICATED'] of bad) {
    await t.test(what, async (t) => {
      expectError(t, await get({ headers: { authorization: `Bearer ${token}` } }), 401, code, 'bearer')
      expectError(t, await get({ cookies: { is_session: token } }), 401, code, 'cookie')
    })
  }

  t.test('malformed Authorization headers', async (t) => {
    for (const value of ['Bearer', 'Bearer ', `bearer${valid}`, `Token ${valid}`, `Basic ${b64url('u:p')}`, `Bearer ${valid} ${valid}`, `Bearer "${valid}"`, 'Bearer ünïcode']) {
      expectError(t, await get({ headers: { authorization: value } }), 401, 'UNAUTHENTICATED', JSON.stringify(value.slice(0, 40)))
    }
    // A bad bearer is not rescued by a good cookie: the header, when present, decides.
    expectError(t, await get({ headers: { authorization: 'Bearer x.y.z' }, cookies: { is_session: valid } }), 401, 'UNAUTHENTICATED', 'bad bearer + good cookie')
  })

  t.test('malformed session cookies', async (t) => {
    for (const value of ['ünïcode.☃.😀', '%ff%fe', 'null', '{}', valid.replaceAll('.', '%2E')]) {
      expectError(t, await get({ cookies: { is_session: value } }), 401, 'UNAUTHENTICATED', `cookie ${JSON.stringify(value.slice(0, 30))}`)
    }
    expectError(t, await get({ headers: { cookie: `is_session=${valid.slice(0, 20)}; is_session=${valid}` } }), 401, 'UNAUTHENTICATED', 'truncated cookie before the valid one (the first wins)')
  })

  t.test('no token leaks into the logs', async (t) => {
    const joined = s.logs.join('\n')
    t.notOk(joined.includes(signature), 'the valid token\'s signature is never logged')
  })
})

eachBackendAndTokenKind(t, 'CSRF on cookie-authenticated writes', async (t, backend, tokenKind) => {
  const s = await build(t, { backend, tokenKind, env: { GITHUB_API_URL: 'http://127.0.0.1:9' } })
  const bearer = s.as('owner', P)
  t.equal((await s.app.inject({ method: 'PUT', url: `${LINKS_URL}/vercel`, headers: bearer, payload: { config: { projectId: 'prj_x' }, credentials: { token: 'tok_v' } } })).statusCode, 201, 'seed: a vercel link')

  const session = await s.app.inject({ method: 'POST', url: '/api/auth/session', headers: bearer })
  t.equal(session.statusCode, 200, 'a session from the bearer token')
  const cookies = Object.fromEntries((session.cookies as Array<{ name: string, value: string }>).map((c) => [c.name, c.value]))
  const csrf = session.json().csrfToken as string
  t.equal(cookies.is_csrf, csrf, 'the is_csrf cookie holds the CSRF token')
  t.ok(cookies.is_session, 'the session cookie is set')

  // Another valid session's CSRF token: right format, wrong session.
  const otherSession = await s.app.inject({ method: 'POST', url: '/api/auth/session', headers: s.as('owner', P, 'u_other') })
  const otherCsrf = otherSession.json().csrfToken as string

  const writes: Array<{ what: string, request: InjectOptions, ok: number[] }> = [
    { what: 'PUT link', request: { method: 'PUT', url: `${LINKS_URL}/github`, payload: LINK }, ok: [200, 201] },
    { what: 'PATCH link', request: { method: 'PATCH', url: `${LINKS_URL}/vercel`, payload: { enabled: false } }, ok: [200] },
    { what: 'POST action', request: { method: 'POST', url: '/api/integrations/actions', payload: { projectId: P, provider: 'github', action: 'sync' } }, ok: [202] },
    { what: 'PUT rollout override', request: { method: 'PUT', url: `/api/integrations/rollout/projects/${P}`, payload: { enabled: true } }, ok: [200, 201] },
    { what: 'DELETE link', request: { method: 'DELETE', url: `${LINKS_URL}/vercel` }, ok: [204] }
  ]

  const send = (request: InjectOptions, headers: Record<string, string>, jar: Record<string, string> = cookies) =>
    s.app.inject({ ...request, headers: { 'idempotency-key': randomUUID(), ...headers }, cookies: jar })

  for (const { what, request, ok } of writes) {
    await t.test(what, async (t) => {
      const refusals: Array<[string, Record<string, string>, Record<string, string>?]> = [
        ['no X-CSRF-Token', { origin: TEST_ORIGIN }],
        ['a wrong X-CSRF-Token', { origin: TEST_ORIGIN, 'x-csrf-token': 'wrong' }],
        ['another session\'s X-CSRF-Token', { origin: TEST_ORIGIN, 'x-csrf-token': otherCsrf }],
        ['the token, but no is_csrf cookie', { origin: TEST_ORIGIN, 'x-csrf-token': csrf }, { is_session: cookies.is_session! }],
        ['the token and cookie of another session', { origin: TEST_ORIGIN, 'x-csrf-token': otherCsrf }, { is_session: cookies.is_session!, is_csrf: otherCsrf }],
        ['the right token, a foreign Origin', { origin: EVIL_ORIGIN, 'x-csrf-token': csrf }],
        ['the right token, Origin "null"', { origin: 'null', 'x-csrf-token': csrf }],
        ['the right token, no Origin', { 'x-csrf-token': csrf }],
        ['the right token, an allowed origin\'s look-alike', { origin: `${TEST_ORIGIN}.evil.test`, 'x-csrf-token': csrf }]
      ]
      for (const [why, headers, jar] of refusals) {
        expectError(t, await send(request, headers, jar), 403, 'CSRF_FAILED', why)
      }
      const accepted = await send(request, { origin: TEST_ORIGIN, 'x-csrf-token': csrf })
      t.ok(ok.includes(accepted.statusCode), `the right token and an allowed Origin: ${ok.join('/')} (got ${accepted.statusCode} ${accepted.body.slice(0, 200)})`)
    })
  }

  t.test('refused writes changed nothing', async (t) => {
    const actions = await s.app.inject({ method: 'GET', url: `/api/integrations/actions?projectId=${P}`, headers: bearer })
    t.equal(actions.json().items.length, 1, 'one action: only the accepted POST created one')
  })

  t.test('bearer writes need no CSRF token (no ambient credentials)', async (t) => {
    const res = await s.app.inject({ method: 'PATCH', url: `${LINKS_URL}/github`, headers: { ...bearer, origin: EVIL_ORIGIN }, payload: { enabled: true } })
    t.equal(res.statusCode, 200, 'bearer PATCH from any origin')
  })

  t.test('safe methods need no CSRF token', async (t) => {
    const res = await s.app.inject({ method: 'GET', url: LINKS_URL, cookies })
    t.equal(res.statusCode, 200, 'cookie GET without X-CSRF-Token')
  })
})

eachBackend(t, 'security headers and CORS', async (t, backend) => {
  const s = await build(t, { backend })
  const owner = s.as('owner', P)
  const routes: Array<[string, InjectOptions, number]> = [
    ['GET /healthz', { method: 'GET', url: '/healthz' }, 200],
    ['GET links', { method: 'GET', url: LINKS_URL, headers: owner }, 200],
    ['GET status', { method: 'GET', url: `/api/integrations/status?projectId=${P}`, headers: owner }, 200],
    ['GET rollout', { method: 'GET', url: `/api/integrations/rollout?projectId=${P}`, headers: owner }, 200],
    ['401', { method: 'GET', url: LINKS_URL }, 401],
    ['403', { method: 'GET', url: LINKS_URL, headers: s.as('viewer', P) }, 403],
    ['404 route', { method: 'GET', url: '/api/nope' }, 404],
    ['400 validation', { method: 'GET', url: `/api/integrations/actions?projectId=${P}&limit=9999`, headers: owner }, 400]
  ]
  const check = (res: LightMyRequestResponse, what: string) => {
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`)
    t.equal(res.headers['x-powered-by'], undefined, `${what}: no x-powered-by`)
    t.equal(res.headers['x-frame-options'], 'DENY', `${what}: x-frame-options DENY`)
    t.ok(res.headers['x-request-id'], `${what}: x-request-id`)
  }
  for (const [what, request, status] of routes) {
    const allowed = await s.app.inject({ ...request, headers: { ...request.headers as Record<string, string>, origin: TEST_ORIGIN } })
    t.equal(allowed.statusCode, status, `${what}: ${status}`)
    check(allowed, what)
    t.equal(allowed.headers['access-control-allow-origin'], TEST_ORIGIN, `${what}: CORS allows ${TEST_ORIGIN}`)
    t.equal(allowed.headers['access-control-allow-credentials'], 'true', `${what}: with credentials`)
    for (const origin of [EVIL_ORIGIN, 'null', `${TEST_ORIGIN}.evil.test`, TEST_ORIGIN.replace('https', 'http'), `${TEST_ORIGIN}:8443`]) {
      const res = await s.app.inject({ ...request, headers: { ...request.headers as Record<string, string>, origin } })
      check(res, `${what} from ${origin}`)
      t.equal(res.headers['access-control-allow-origin'], undefined, `${what}: no CORS for ${origin}`)
    }
    const none = await s.app.inject(request)
    t.equal(none.headers['access-control-allow-origin'], undefined, `${what}: no CORS without an Origin`)
  }

  t.test('preflight', async (t) => {
    const preflight = (origin: string) => s.app.inject({
      method: 'OPTIONS',
      url: `${LINKS_URL}/github`,
      headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type,x-csrf-token' }
    })
    const ok = await preflight(TEST_ORIGIN)
    t.equal(ok.headers['access-control-allow-origin'], TEST_ORIGIN, 'allowed origin: allowed')
    t.match(String(ok.headers['access-control-allow-headers']), /X-CSRF-Token/i, 'allowed origin: X-CSRF-Token may be sent')
    const evil = await preflight(EVIL_ORIGIN)
    t.equal(evil.headers['access-control-allow-origin'], undefined, 'foreign origin: no allow-origin')
    t.equal(evil.headers['access-control-allow-credentials'], undefined, 'foreign origin: no allow-credentials')
  })
})
