import { createHmac } from 'node:crypto'
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import type { InjectOptions } from 'fastify'
import { build, eachBackend } from '../helper.js'
import { expectError } from '../support/openapi-ops.js'
import { eventually } from '../support/events.js'
import { generateSigningKey, startJwksServer, TEST_AUDIENCE, TEST_ISSUER, type JwksServer } from '../support/jwks-server.js'

/**
 * Tokens from an identity provider, verified against its JWKS served by a real HTTP server on
 * loopback: every accepted algorithm, every refusal with its stable code (never a 500), key
 * rotation and removal without a restart, the cache headers, the unknown-kid flood, the provider
 * going down.
 */

// Several apps, each booting its own embedded database: more than the default 120 s on a busy machine.
t.setTimeout(600_000)

const P = 'p_idp'
const LINKS = `/api/projects/${P}/integrations`
const now = () => Math.floor(Date.now() / 1000)
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const owner = (extra: Record<string, unknown> = {}) => ({ sub: 'u_idp_owner', roles: { [P]: 'owner' }, ...extra })
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** A fresh app trusting `jwks`, and a GET of the project's links with a given token by bearer and by cookie. */
async function idpApp (t: Test, jwks: JwksServer, env: Record<string, string> = {}, backend: 'embedded' | 'real' = 'embedded') {
  const s = await build(t, { backend, env: { ...jwks.env(), GITHUB_API_URL: 'http://127.0.0.1:9', ...env } })
  const get = (token: string, options: Partial<InjectOptions> = {}) => s.app.inject({ method: 'GET', url: LINKS, headers: bearer(token), ...options })
  const byCookie = (token: string) => s.app.inject({ method: 'GET', url: LINKS, cookies: { is_session: token } })
  return { ...s, get, byCookie }
}

eachBackend(t, 'identity-provider tokens: accepted and refused', async (t, backend) => {
  const keys = [generateSigningKey('RS256'), generateSigningKey('ES256'), generateSigningKey('EdDSA')]
  const jwks = await startJwksServer(t, keys)
  // No refetch can happen during this test: every count below is exact.
  const s = await idpApp(t, jwks, { AUTH_JWKS_REFETCH_MS: '600000' }, backend)
  t.equal(jwks.fetches, 1, 'the JWKS was fetched once, at boot')

  for (const key of keys) {
    await t.test(`${key.alg} accepted by bearer and by session cookie`, async (t) => {
      const token = await jwks.sign(owner(), { key })
      t.equal((await s.get(token)).statusCode, 200, 'bearer')
      t.equal((await s.byCookie(token)).statusCode, 200, 'cookie')
    })
  }

  t.test('the roles and team claims become the caller', async (t) => {
    const token = await jwks.sign(owner({ team: 't_idp' }), { key: keys[1] })
    const session = await s.app.inject({ method: 'GET', url: '/api/auth/session', headers: bearer(token) })
    t.match(session.json(), { sub: 'u_idp_owner', roles: { [P]: 'owner' }, team: 't_idp', via: 'bearer' })
    const noRoles = await jwks.sign({ sub: 'u_nobody' })
    t.equal((await s.app.inject({ method: 'GET', url: '/api/auth/session', headers: bearer(noRoles) })).statusCode, 200, 'a token without roles authenticates…')
    expectError(t, await s.get(noRoles), 403, 'FORBIDDEN', '…and has no project')
    expectError(t, await s.get(await jwks.sign({ sub: 'u_viewer', roles: { [P]: 'viewer' } })), 403, 'FORBIDDEN', 'a viewer may not list links')
  })

  await t.test('refusals: each a 401 with its code, by bearer and by cookie', async (t) => {
    const rsa = keys[0]!
    const stranger = generateSigningKey('RS256', rsa.kid)
    const valid = await jwks.sign(owner())
    const [header, payload, signature] = valid.split('.') as [string, string, string]
    const publicPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString()
    const hmac = (secret: string, claims: object) => {
      const unsigned = `${b64url({ alg: 'HS256', typ: 'JWT', kid: rsa.kid })}.${b64url(claims)}`
      return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`
    }
    const claims = { ...owner(), iss: TEST_ISSUER, aud: TEST_AUDIENCE, exp: now() + 3600 }
    const cases: Array<[string, string, string]> = [
      ['wrong issuer', await jwks.sign(owner({ iss: 'https://other-idp.example.test/' })), 'TOKEN_ISSUER_INVALID'],
      ['no issuer', await jwks.sign(owner({ iss: undefined })), 'TOKEN_ISSUER_INVALID'],
      ['wrong audience', await jwks.sign(owner({ aud: 'another-service' })), 'TOKEN_AUDIENCE_INVALID'],
      ['expired an hour ago', await jwks.sign(owner(), { expiresInSeconds: -3600 }), 'TOKEN_EXPIRED'],
      ['expired past the clock tolerance', await jwks.sign(owner(), { expiresInSeconds: -45 }), 'TOKEN_EXPIRED'],
      ['not yet valid (nbf in an hour)', await jwks.sign(owner({ nbf: now() + 3600 })), 'TOKEN_NOT_YET_VALID'],
      ['alg none', `${b64url({ alg: 'none', typ: 'JWT', kid: rsa.kid })}.${payload}.`, 'UNAUTHENTICATED'],
      ['alg none keeping the signature', `${b64url({ alg: 'none', typ: 'JWT', kid: rsa.kid })}.${payload}.${signature}`, 'UNAUTHENTICATED'],
      ['HS256 with the RSA public key (PEM) as the secret', hmac(publicPem, claims), 'UNAUTHENTICATED'],
      ['HS256 with the RSA public key (JWK JSON) as the secret', hmac(JSON.stringify(rsa.jwk), claims), 'UNAUTHENTICATED'],
      ['header alg changed to HS256, RSA signature kept', `${b64url({ alg: 'HS256', typ: 'JWT', kid: rsa.kid })}.${payload}.${signature}`, 'UNAUTHENTICATED'],
      ['tampered payload: roles widened', `${header}.${b64url({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: { [P]: 'owner', p_other: 'owner' } })}.${signature}`, 'UNAUTHENTICATED'],
      ['tampered payload: exp extended', `${header}.${b64url({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), exp: now() + 86_400 })}.${signature}`, 'UNAUTHENTICATED'],
      ['signature truncated', `${header}.${payload}.${signature.slice(0, -4)}`, 'UNAUTHENTICATED'],
      ['signed by another key under a known kid', await jwks.sign(owner(), { key: stranger }), 'UNAUTHENTICATED'],
      ['an algorithm outside the allow-list (RS384, the RSA key)', await jwks.sign(owner(), { header: { alg: 'RS384' }, key: { ...rsa, alg: 'RS384' as 'RS256' } }), 'UNAUTHENTICATED'],
      ['no exp', await jwks.sign(owner({ exp: undefined })), 'UNAUTHENTICATED'],
      ['no sub', await jwks.sign({ roles: { [P]: 'owner' } }), 'UNAUTHENTICATED'],
      ['roles not a map of project to role', await jwks.sign(owner({ roles: [P] })), 'UNAUTHENTICATED'],
      ['an unknown role', await jwks.sign(owner({ roles: { [P]: 'superuser' } })), 'UNAUTHENTICATED'],
      ['team not a string', await jwks.sign(owner({ team: 42 })), 'UNAUTHENTICATED'],
      ['sub holding U+0000', await jwks.sign(owner({ sub: 'u_\u0000' })), 'UNAUTHENTICATED'],
      ['an unknown kid', await jwks.sign(owner(), { key: generateSigningKey('ES256') }), 'TOKEN_KEY_UNKNOWN'],
      ['header not JSON', `${Buffer.from('{nope').toString('base64url')}.${payload}.${signature}`, 'UNAUTHENTICATED']
    ]
    for (const [what, token, code] of cases) {
      expectError(t, await s.get(token), 401, code, `${what} (bearer)`)
      expectError(t, await s.byCookie(token), 401, code, `${what} (cookie)`)
    }
    t.equal((await s.get(await jwks.sign(owner(), { expiresInSeconds: -10 }))).statusCode, 200, 'control: expired 10 s ago is within the 30 s clock tolerance')
  })

  await t.test('a flood of forged kids never becomes a flood of fetches', async (t) => {
    const before = jwks.fetches
    const forged = await Promise.all(Array.from({ length: 40 }, () => jwks.sign(owner(), { key: generateSigningKey('EdDSA') })))
    const answers = await Promise.all(forged.map((token) => s.get(token)))
    t.same([...new Set(answers.map((res) => `${res.statusCode} ${res.json().code}`))], ['401 TOKEN_KEY_UNKNOWN'], 'every forged kid: 401 TOKEN_KEY_UNKNOWN')
    t.equal(jwks.fetches, before, 'no fetch: the last one was within AUTH_JWKS_REFETCH_MS')
  })

  t.test('no token reaches the logs', async (t) => {
    const signature = (await jwks.sign(owner())).split('.')[2]!
    t.notOk(s.logs.join('\n').includes(signature.slice(0, 40)), 'no signature in the logs')
  })
})

t.test('unknown kids: one fetch per interval, shared by every request waiting for it', async (t) => {
  const jwks = await startJwksServer(t)
  const s = await idpApp(t, jwks, { AUTH_JWKS_REFETCH_MS: '3000' })
  t.equal(jwks.fetches, 1, 'fetched once at boot')
  const forged = await Promise.all(Array.from({ length: 60 }, () => jwks.sign(owner(), { key: generateSigningKey('ES256') })))
  // Past the interval since the boot fetch, so the first forged kid may cause one fetch.
  await sleep(3100)
  const answers = await Promise.all(forged.map((token) => s.get(token)))
  t.ok(answers.every((res) => res.statusCode === 401 && res.json().code === 'TOKEN_KEY_UNKNOWN'), 'every forged kid refused with TOKEN_KEY_UNKNOWN')
  t.equal(jwks.fetches, 2, '60 concurrent forged kids caused exactly one fetch')
})

t.test('key rotation and removal without a restart', async (t) => {
  const first = generateSigningKey('RS256')
  const jwks = await startJwksServer(t, [first])
  const s = await idpApp(t, jwks, { AUTH_JWKS_REFETCH_MS: '100' })
  const oldToken = await jwks.sign(owner(), { key: first })
  t.equal((await s.get(oldToken)).statusCode, 200, 'the first key works')
  t.ok(s.app.auth.cachedUser(`Bearer ${oldToken}`, 'bearer'), 'and is remembered in the verified-token cache')

  // Rotation: the provider publishes a new key and signs with it.
  const second = generateSigningKey('ES256')
  jwks.keys = [first, second]
  const newToken = await jwks.sign(owner(), { key: second })
  const fetchesBefore = jwks.fetches
  await eventually(async () => (await s.get(newToken)).statusCode === 200, 'the new key is accepted (its unknown kid caused a refetch)')
  t.ok(jwks.fetches > fetchesBefore, 'the new kid was fetched, not configured')

  // Removal: the old key leaves the set. It works until the next fetch, then never again.
  jwks.keys = [second]
  t.equal((await s.get(oldToken)).statusCode, 200, 'the removed key still works from the cache until the next fetch')
  t.ok(s.app.auth.cachedUser(`Bearer ${oldToken}`, 'bearer'), 'served from the verified-token cache until then')
  const probe = await jwks.sign(owner(), { key: generateSigningKey('EdDSA') })
  const fetchesAtRemoval = jwks.fetches
  await eventually(async () => { await s.get(probe); return jwks.fetches > fetchesAtRemoval }, 'an unknown kid causes the next fetch')
  t.equal(s.app.auth.cachedUser(`Bearer ${oldToken}`, 'bearer'), undefined, 'the fetch that changed the set invalidated the cached token')
  expectError(t, await s.get(oldToken), 401, 'TOKEN_KEY_UNKNOWN', 'the removed key, after the fetch')
  expectError(t, await s.byCookie(oldToken), 401, 'TOKEN_KEY_UNKNOWN', 'the removed key by cookie')
  t.equal((await s.get(newToken)).statusCode, 200, 'the remaining key still works')
})

t.test('cache headers: honoured, within the floor and the ceiling', async (t) => {
  await t.test('max-age below the floor: the floor holds (no fetch per request)', async (t) => {
    const jwks = await startJwksServer(t)
    jwks.cacheControl = 'no-store'
    const s = await idpApp(t, jwks, { AUTH_JWKS_MIN_TTL_MS: '600000', AUTH_JWKS_REFETCH_MS: '600000' })
    const token = await jwks.sign(owner())
    for (let i = 0; i < 20; i++) t.equal((await s.get(token)).statusCode, 200)
    t.equal(jwks.fetches, 1, '20 requests, one fetch')
  })
  await t.test('a short max-age: the set is fetched again on its own, and a removed key stops working', async (t) => {
    const kept = generateSigningKey('ES256')
    const removed = generateSigningKey('RS256')
    const jwks = await startJwksServer(t, [removed, kept])
    jwks.cacheControl = 'public, max-age=1'
    const s = await idpApp(t, jwks, { AUTH_JWKS_MIN_TTL_MS: '10', AUTH_JWKS_REFETCH_MS: '600000' })
    const token = await jwks.sign(owner(), { key: removed })
    t.equal((await s.get(token)).statusCode, 200)
    jwks.keys = [kept]
    // No request causes it: the refresh follows max-age (the refetch interval would forbid an on-demand one).
    await eventually(() => jwks.fetches >= 2, 'a background fetch after max-age')
    await eventually(async () => (await s.get(token)).statusCode === 401, 'the removed key refused')
    expectError(t, await s.get(token), 401, 'TOKEN_KEY_UNKNOWN', 'removed key after the scheduled fetch')
  })
  await t.test('a long max-age: the ceiling cuts it short', async (t) => {
    const jwks = await startJwksServer(t)
    jwks.cacheControl = 'max-age=86400'
    await idpApp(t, jwks, { AUTH_JWKS_MIN_TTL_MS: '10', AUTH_JWKS_MAX_TTL_MS: '200', AUTH_JWKS_REFETCH_MS: '600000' })
    await eventually(() => jwks.fetches >= 3, 'fetched again every AUTH_JWKS_MAX_TTL_MS despite max-age=86400')
    t.pass('the ceiling applied')
  })
})

t.test('the provider down: the keys held keep working, and it shows in /readyz and /metrics', async (t) => {
  const jwks = await startJwksServer(t)
  const s = await idpApp(t, jwks, { AUTH_JWKS_REFETCH_MS: '50' })
  const token = await jwks.sign(owner())
  t.equal((await s.get(token)).statusCode, 200, 'up: accepted')
  let ready = await s.app.inject({ url: '/readyz' })
  t.match(ready.json(), { status: 'ready', checks: { jwks: { ok: true, keys: 1 } } }, 'up: ready, one key')

  jwks.up = false
  const unknown = await jwks.sign(owner(), { key: generateSigningKey('ES256') })
  const fetches = jwks.fetches
  // An unknown kid makes it fetch; the fetch fails.
  await eventually(async () => { await s.app.inject({ url: '/api/integrations/status?projectId=' + P, headers: bearer(unknown) }); return jwks.fetches > fetches }, 'a fetch while down')
  await eventually(async () => (await s.app.inject({ url: '/readyz' })).json().checks.jwks.ok === false, 'readyz shows the failure')
  t.equal((await s.get(token)).statusCode, 200, 'down: the cached key still works')
  ready = await s.app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 200, 'down: still ready (the keys held work)')
  t.match(ready.json(), { status: 'ready', checks: { jwks: { ok: false, keys: 1, error: /JWKS fetch failed: HTTP 503/ } } })
  const metrics = (await s.app.inject({ url: '/metrics' })).body
  t.match(metrics, /^jwks_refresh_failures_total [1-9]\d*$/m, 'jwks_refresh_failures_total counts the failures')
  t.match(metrics, /^jwks_keys 1$/m, 'jwks_keys: the key still held')
  const refused = await s.app.inject({ url: `/api/integrations/status?projectId=${P}`, headers: bearer(unknown) })
  expectError(t, refused, 503, 'SERVICE_UNAVAILABLE', 'an unknown kid while the provider is down: 503, try again')

  jwks.up = true
  await eventually(async () => { await s.app.inject({ url: '/api/integrations/status?projectId=' + P, headers: bearer(unknown) }); return (await s.app.inject({ url: '/readyz' })).json().checks.jwks.ok === true }, 'back up after the next fetch')
})

t.test('the provider down from the start: not ready, tokens 503, HS256 still works', async (t) => {
  const jwks = await startJwksServer(t)
  jwks.up = false
  const s = await idpApp(t, jwks, { AUTH_JWKS_REFETCH_MS: '600000' })
  const ready = await s.app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 503, 'never had the keys: not ready')
  t.match(ready.json(), { status: 'not_ready', checks: { jwks: { ok: false, keys: 0 } } })
  expectError(t, await s.app.inject({ url: `/api/integrations/status?projectId=${P}`, headers: bearer(await jwks.sign(owner())) }), 503, 'SERVICE_UNAVAILABLE', 'an IdP token')
  t.equal((await s.app.inject({ url: LINKS, headers: s.as('owner', P) })).statusCode, 200, 'an HS256 token (both kinds on at once)')
})

t.test('claims at configured paths; HS256 off', async (t) => {
  const jwks = await startJwksServer(t)
  const s = await idpApp(t, jwks, { AUTH_ROLES_CLAIM: 'https://acme.example/claims.projects', AUTH_TEAM_CLAIM: 'org.team_id', AUTH_HS256: 'false', AUTH_ALGORITHMS: 'RS256' })
  const token = await jwks.sign({ sub: 'u_paths', 'https://acme.example/claims': { projects: { [P]: 'admin' } }, org: { team_id: 't_paths' } })
  const session = await s.app.inject({ url: '/api/auth/session', headers: bearer(token) })
  t.match(session.json(), { sub: 'u_paths', roles: { [P]: 'admin' }, team: 't_paths' }, 'roles and team read from their dot paths')
  t.equal((await s.get(token)).statusCode, 200, 'the admin lists links')
  const literal = await jwks.sign({ sub: 'u_literal', 'https://acme.example/claims.projects': { [P]: 'owner' } })
  t.match((await s.app.inject({ url: '/api/auth/session', headers: bearer(literal) })).json(), { roles: { [P]: 'owner' } }, 'a claim named exactly like the path wins')
  expectError(t, await s.get(s.token({ roles: { [P]: 'owner' } })), 401, 'UNAUTHENTICATED', 'HS256 off: a token signed with the secret')
  expectError(t, await s.get(await jwks.sign({ sub: 'u_x', roles: { [P]: 'owner' } }, { key: generateSigningKey('ES256') })), 401, 'UNAUTHENTICATED', 'ES256 outside AUTH_ALGORITHMS=RS256')
})
