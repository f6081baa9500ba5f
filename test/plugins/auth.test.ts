import t from 'tap'
import type { Test } from 'tap'
import { createSigner } from 'fast-jwt'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { build, eachBackend, TEST_JWT_SECRET, TEST_ORIGIN } from '../helper.js'
import { signToken } from '../../src/lib/tokens.js'
import { loadContract } from '../contract/contract-checker.js'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The auth matrix: who gets in (bearer or session cookie), who may touch a project's links
 * (owner and admin only), and the CSRF rules for cookie-authenticated writes.
 */

const ERROR_KEYS = ['code', 'details', 'error', 'message', 'requestId', 'statusCode']
const GITHUB = { config: { owner: 'acme', repo: 'web', branch: 'main' }, credentials: { token: 'ghp_test' } }
const VERCEL = { config: { projectId: 'prj_web' }, credentials: { token: 'vercel_test' } }

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const nowSeconds = () => Math.floor(Date.now() / 1000)

/** Asserts the status, the catalog code and the documented error shape, and returns the body. */
function expectError (t: Test, res: LightMyRequestResponse, status: number, code: string, what: string) {
  t.equal(res.statusCode, status, `${what}: status ${status}`)
  t.match(String(res.headers['content-type']), /^application\/json/, `${what}: JSON error body`)
  const body = res.json()
  t.match(body, { statusCode: status, code, error: /./, message: /./, requestId: res.headers['x-request-id'] ?? /x-request-id header missing/ },
    `${what}: Error body with code ${code} and the x-request-id as requestId`)
  t.same(Object.keys(body).filter((k) => !ERROR_KEYS.includes(k)), [], `${what}: no undocumented keys`)
  return body
}

/** The body with its request id blanked, for byte-for-byte comparison of two answers. */
const withoutRequestId = (res: LightMyRequestResponse) => res.body.replace(res.json().requestId, '<request-id>')

/** A cookie the response set, by name. */
function cookieNamed (res: LightMyRequestResponse, name: string) {
  return (res.cookies as Array<{ name: string, value: string, httpOnly?: boolean, sameSite?: string, path?: string }>)
    .find((c) => c.name === name)
}

eachBackend(t, 'auth matrix', async (t, backend) => {
  const { app, token, as } = await build(t, { backend })
  const inject = (options: InjectOptions) => app.inject(options)

  const linksUrl = (projectId: string) => `/api/projects/${projectId}/integrations`
  const linkUrl = (projectId: string, key: string) => `/api/projects/${projectId}/integrations/${key}`

  // A project that exists: it has a link, made by its owner.
  const seeded = await inject({ method: 'PUT', url: linkUrl('p_exists', 'github'), headers: as('owner', 'p_exists'), payload: GITHUB })
  t.equal(seeded.statusCode, 201, 'seed link created by the owner')

  t.test('authentication failures are 401 UNAUTHENTICATED', async (t) => {
    const url = linksUrl('p_exists')
    const get = (headers: Record<string, string>) => inject({ method: 'GET', url, headers })

    // Control: the same request with a valid owner token succeeds, so each 401 is the token's fault.
    const control = await get(as('owner', 'p_exists'))
    t.equal(control.statusCode, 200, 'control: a valid owner token lists the links')
    t.equal(control.json().items.length, 1, 'control: sees the seeded link')

    t.test('no token at all', async (t) => {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
        const target = method === 'GET' ? url : linkUrl('p_exists', 'github')
        const res = await inject({ method, url: target, ...(method === 'PUT' ? { payload: GITHUB } : method === 'PATCH' ? { payload: { enabled: false } } : {}) })
        expectError(t, res, 401, 'UNAUTHENTICATED', `${method} without credentials`)
      }
      expectError(t, await inject({ method: 'GET', url: '/api/auth/session' }), 401, 'UNAUTHENTICATED', 'GET /api/auth/session without credentials')
      expectError(t, await inject({ method: 'POST', url: '/api/auth/session' }), 401, 'UNAUTHENTICATED', 'POST /api/auth/session without credentials')
    })

    t.test('expired token', async (t) => {
      const expired = token({ roles: { p_exists: 'owner' } }, { expiresInSeconds: -60 })
      const claims = JSON.parse(Buffer.from(expired.split('.')[1]!, 'base64url').toString())
      t.ok(claims.exp < nowSeconds(), 'the signed token really is expired')
      // Its signature is good, so the client is told what to fix: get a new token.
      expectError(t, await get({ authorization: `Bearer ${expired}` }), 401, 'TOKEN_EXPIRED', 'expired bearer token')
      expectError(t, await inject({ method: 'GET', url, cookies: { is_session: expired } }), 401, 'TOKEN_EXPIRED', 'expired session cookie')
      const skewed = token({ roles: { p_exists: 'owner' } }, { expiresInSeconds: -10 })
      t.equal((await get({ authorization: `Bearer ${skewed}` })).statusCode, 200, 'expired 10 s ago: within the 30 s clock tolerance')
    })

    t.test('alg none token', async (t) => {
      const header = b64url({ alg: 'none', typ: 'JWT' })
      const payload = b64url({ sub: 'u_attacker', roles: { p_exists: 'owner' }, iat: nowSeconds(), exp: nowSeconds() + 3600 })
      expectError(t, await get({ authorization: `Bearer ${header}.${payload}.` }), 401, 'UNAUTHENTICATED', 'alg none, empty signature')
      expectError(t, await get({ authorization: `Bearer ${header}.${payload}` }), 401, 'UNAUTHENTICATED', 'alg none, no signature part')
      expectError(t, await inject({ method: 'GET', url, cookies: { is_session: `${header}.${payload}.` } }), 401, 'UNAUTHENTICATED', 'alg none as session cookie')
    })

    t.test('token signed with the wrong key or algorithm', async (t) => {
      const claims = { sub: 'u_attacker', roles: { p_exists: 'owner' as const } }
      const wrongKey = signToken('another-secret-that-is-long-enough-for-hs256-xyz', claims)
      expectError(t, await get({ authorization: `Bearer ${wrongKey}` }), 401, 'UNAUTHENTICATED', 'HS256 with another key')
      // The right secret but another algorithm: only HS256 is accepted.
      const hs512 = createSigner({ key: TEST_JWT_SECRET, algorithm: 'HS512', expiresIn: 3_600_000 })(claims)
      expectError(t, await get({ authorization: `Bearer ${hs512}` }), 401, 'UNAUTHENTICATED', 'HS512 with the right key')
    })

    t.test('tampered payload keeps the old signature', async (t) => {
      const viewer = token({ sub: 'u_viewer', roles: { p_exists: 'viewer' } })
      // Untampered, the viewer is authenticated (and then refused by role, not by token).
      expectError(t, await get({ authorization: `Bearer ${viewer}` }), 403, 'FORBIDDEN', 'untampered viewer token')
      const [header, payload, signature] = viewer.split('.')
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
      t.equal(claims.roles.p_exists, 'viewer', 'decoded the real payload')
      const promoted = b64url({ ...claims, roles: { p_exists: 'owner' } })
      expectError(t, await get({ authorization: `Bearer ${header}.${promoted}.${signature}` }), 401, 'UNAUTHENTICATED', 'roles raised to owner')
      const otherSub = b64url({ ...claims, sub: 'u_owner' })
      expectError(t, await get({ authorization: `Bearer ${header}.${otherSub}.${signature}` }), 401, 'UNAUTHENTICATED', 'sub changed')
    })

    t.test('malformed Authorization header', async (t) => {
      const valid = token({ roles: { p_exists: 'owner' } })
      const headers = [
        'Basic dXNlcjpwYXNzd29yZA==',
        'Bearer',
        'Bearer ',
        `Token ${valid}`,
        `Bearer  ${valid}`,
        `Bearer ${valid} trailing`,
        `${valid}`,
        'Bearer not-a-jwt',
        'Bearer a.b.c',
        `Bearer ${valid.split('.').slice(0, 2).join('.')}`
      ]
      for (const authorization of headers) {
        expectError(t, await get({ authorization }), 401, 'UNAUTHENTICATED', `Authorization: ${authorization.slice(0, 24)}…`)
      }
      // A bad bearer header is not rescued by a valid cookie: the header decides.
      const res = await inject({ method: 'GET', url, headers: { authorization: 'Bearer junk' }, cookies: { is_session: valid } })
      expectError(t, res, 401, 'UNAUTHENTICATED', 'bad bearer plus a valid cookie')
    })

    t.test('claims that do not match the schema', async (t) => {
      const sign = createSigner({ key: TEST_JWT_SECRET, algorithm: 'HS256', expiresIn: 3_600_000 })
      const cases: Array<[string, Record<string, unknown>]> = [
        ['missing roles', { sub: 'u_x' }],
        ['invalid role value', { sub: 'u_x', roles: { p_exists: 'root' } }],
        ['role value of the wrong type', { sub: 'u_x', roles: { p_exists: 1 } }],
        ['roles as an array', { sub: 'u_x', roles: ['owner'] }],
        ['missing sub', { roles: { p_exists: 'owner' } }],
        ['empty sub', { sub: '', roles: { p_exists: 'owner' } }]
      ]
      for (const [what, claims] of cases) {
        const bad = sign(claims)
        expectError(t, await get({ authorization: `Bearer ${bad}` }), 401, 'UNAUTHENTICATED', `${what} (links API)`)
        // Rejected at authentication, so even routes without a project check refuse it.
        const session = await inject({ method: 'GET', url: '/api/auth/session', headers: { authorization: `Bearer ${bad}` } })
        expectError(t, session, 401, 'UNAUTHENTICATED', `${what} (GET /api/auth/session)`)
      }
      const noExp = createSigner({ key: TEST_JWT_SECRET, algorithm: 'HS256' })({ sub: 'u_x', roles: { p_exists: 'owner' } })
      expectError(t, await get({ authorization: `Bearer ${noExp}` }), 401, 'UNAUTHENTICATED', 'token without exp')
    })
  })

  t.test('no role on the project is 403 FORBIDDEN, the same whether the project exists or not', async (t) => {
    const never = 'p_never_existed'
    // Proof that one exists and the other does not, from their owners' point of view.
    const existing = await inject({ method: 'GET', url: linksUrl('p_exists'), headers: as('owner', 'p_exists') })
    t.equal(existing.json().items.length, 1, 'p_exists has a link')

    const strangers = {
      'no roles at all': { authorization: `Bearer ${token({ sub: 'u_stranger', roles: {} })}` },
      'a role on another project only': { authorization: `Bearer ${token({ sub: 'u_stranger', roles: { p_elsewhere: 'owner' } })}` }
    }
    const requests: Array<[string, (projectId: string) => InjectOptions]> = [
      ['GET list', (p) => ({ method: 'GET', url: linksUrl(p) })],
      ['PUT', (p) => ({ method: 'PUT', url: linkUrl(p, 'github'), payload: GITHUB })],
      ['PATCH', (p) => ({ method: 'PATCH', url: linkUrl(p, 'github'), payload: { enabled: false } })],
      ['DELETE', (p) => ({ method: 'DELETE', url: linkUrl(p, 'github') })]
    ]
    for (const [who, headers] of Object.entries(strangers)) {
      for (const [what, request] of requests) {
        const onExisting = await inject({ ...request('p_exists'), headers })
        const onMissing = await inject({ ...request(never), headers })
        expectError(t, onExisting, 403, 'FORBIDDEN', `${who}, ${what} on an existing project`)
        expectError(t, onMissing, 403, 'FORBIDDEN', `${who}, ${what} on a project that never existed`)
        t.equal(withoutRequestId(onExisting), withoutRequestId(onMissing), `${who}, ${what}: bodies identical but for requestId`)
        t.equal(onExisting.headers['content-length'], onMissing.headers['content-length'], `${who}, ${what}: same length`)
      }
    }
    // Nothing the strangers sent had an effect.
    const after = await inject({ method: 'GET', url: linksUrl('p_exists'), headers: as('owner', 'p_exists') })
    t.equal(after.body, existing.body, 'p_exists is unchanged')
    const missing = await inject({ method: 'GET', url: linksUrl(never), headers: as('owner', never) })
    t.same(missing.json().items, [], 'the refused PUT created no link on the never-existing project')
  })

  t.test('per-role access to the links API', async (t) => {
    t.test('owner and admin may list, link, patch and unlink', async (t) => {
      for (const [role, key, payload] of [['owner', 'github', GITHUB], ['admin', 'vercel', VERCEL]] as const) {
        const headers = as(role, 'p_roles')
        const created = await inject({ method: 'PUT', url: linkUrl('p_roles', key), headers, payload })
        t.equal(created.statusCode, 201, `${role}: PUT creates (201)`)
        t.equal(created.json().key, key, `${role}: PUT answers the link`)
        const replaced = await inject({ method: 'PUT', url: linkUrl('p_roles', key), headers, payload })
        t.equal(replaced.statusCode, 200, `${role}: PUT again replaces (200)`)
        const patched = await inject({ method: 'PATCH', url: linkUrl('p_roles', key), headers, payload: { enabled: false, hiddenFromRoles: ['viewer'] } })
        t.equal(patched.statusCode, 200, `${role}: PATCH`)
        t.equal(patched.json().enabled, false, `${role}: PATCH took effect`)
        t.same(patched.json().hiddenFromRoles, ['viewer'], `${role}: PATCH hiddenFromRoles took effect`)
        const listed = await inject({ method: 'GET', url: linksUrl('p_roles'), headers })
        t.equal(listed.statusCode, 200, `${role}: GET list`)
        t.ok(listed.json().items.some((l: { key: string }) => l.key === key), `${role}: list shows the link`)
        const removed = await inject({ method: 'DELETE', url: linkUrl('p_roles', key), headers })
        t.equal(removed.statusCode, 204, `${role}: DELETE`)
        t.equal(removed.body, '', `${role}: DELETE has no body`)
        const gone = await inject({ method: 'GET', url: linksUrl('p_roles'), headers })
        t.notOk(gone.json().items.some((l: { key: string }) => l.key === key), `${role}: the link is gone`)
      }
    })

    t.test('editor and viewer are refused on every links route', async (t) => {
      const before = await inject({ method: 'GET', url: linksUrl('p_exists'), headers: as('owner', 'p_exists') })
      for (const role of ['editor', 'viewer'] as const) {
        const headers = as(role, 'p_exists')
        const list = expectError(t, await inject({ method: 'GET', url: linksUrl('p_exists'), headers }), 403, 'FORBIDDEN', `${role}: GET list`)
        t.match(list.message, role, `${role}: message names the role`)
        expectError(t, await inject({ method: 'PUT', url: linkUrl('p_exists', 'github'), headers, payload: GITHUB }), 403, 'FORBIDDEN', `${role}: PUT existing`)
        expectError(t, await inject({ method: 'PUT', url: linkUrl('p_exists', 'vercel'), headers, payload: VERCEL }), 403, 'FORBIDDEN', `${role}: PUT new`)
        expectError(t, await inject({ method: 'PATCH', url: linkUrl('p_exists', 'github'), headers, payload: { enabled: false } }), 403, 'FORBIDDEN', `${role}: PATCH`)
        expectError(t, await inject({ method: 'DELETE', url: linkUrl('p_exists', 'github'), headers }), 403, 'FORBIDDEN', `${role}: DELETE`)
      }
      const after = await inject({ method: 'GET', url: linksUrl('p_exists'), headers: as('owner', 'p_exists') })
      t.equal(after.body, before.body, 'refused writes changed nothing')
    })
  })

  t.test('cookie sessions and CSRF', async (t) => {
    const project = 'p_cookie'
    const bearer = token({ sub: 'u_browser', roles: { [project]: 'owner' } })
    const started = await inject({ method: 'POST', url: '/api/auth/session', headers: { authorization: `Bearer ${bearer}` } })
    t.equal(started.statusCode, 200, 'POST /api/auth/session with a bearer token')
    const session = started.json()
    t.equal(session.via, 'bearer', 'session started from a bearer token')
    t.equal(session.sub, 'u_browser', 'session names the user')
    t.type(session.csrfToken, 'string', 'returns the CSRF token')
    t.ok(session.csrfToken.length >= 32, 'CSRF token is long enough to be unguessable')

    const sessionCookie = cookieNamed(started, 'is_session')
    const csrfCookie = cookieNamed(started, 'is_csrf')
    t.ok(sessionCookie, 'sets is_session')
    t.ok(csrfCookie, 'sets is_csrf')
    t.equal(sessionCookie?.httpOnly, true, 'is_session is HttpOnly')
    t.equal(sessionCookie?.path, '/', 'is_session for the whole site')
    t.match(String(sessionCookie?.sameSite), /^lax$/i, 'is_session is SameSite=Lax')
    t.notOk(csrfCookie?.httpOnly, 'is_csrf is readable by the page (double submit)')
    t.equal(csrfCookie?.value, session.csrfToken, 'is_csrf holds the returned CSRF token')

    const cookies = { is_session: sessionCookie!.value, is_csrf: csrfCookie!.value }
    const csrf = session.csrfToken as string
    const browser = (options: InjectOptions, extra: Record<string, string> = {}) =>
      inject({ ...options, cookies, headers: { ...(options.headers as Record<string, string> | undefined), ...extra } })
    const list = async () => (await inject({ method: 'GET', url: linksUrl(project), headers: { authorization: `Bearer ${bearer}` } })).json().items

    t.test('GET works with only the cookie, no CSRF needed', async (t) => {
      const res = await browser({ method: 'GET', url: linksUrl(project) })
      t.equal(res.statusCode, 200, 'GET list with the session cookie')
      t.same(res.json(), { projectId: project, items: [] }, 'lists the project')
      const me = await browser({ method: 'GET', url: '/api/auth/session' })
      t.equal(me.statusCode, 200, 'GET /api/auth/session with the cookie')
      t.equal(me.json().via, 'cookie', 'authenticated via the cookie')
      t.equal(me.json().csrfToken, csrf, 'repeats the CSRF token for the page')
      // Without the bearer header, a cookie for a project the user has no role on is still refused.
      expectError(t, await browser({ method: 'GET', url: linksUrl('p_exists') }), 403, 'FORBIDDEN', 'cookie user on another project')
      expectError(t, await inject({ method: 'GET', url: linksUrl(project), cookies: { is_session: 'not-a-token' } }), 401, 'UNAUTHENTICATED', 'garbage cookie')
    })

    t.test('GET /api/auth/session: each caller its own answer, the same each time', async (t) => {
      // The answer is kept per verified caller: the same token as a bearer and as a cookie are two callers.
      const viaBearer = await inject({ method: 'GET', url: '/api/auth/session', headers: { authorization: `Bearer ${bearer}` } })
      const viaCookie = await browser({ method: 'GET', url: '/api/auth/session' })
      const again = await inject({ method: 'GET', url: '/api/auth/session', headers: { authorization: `Bearer ${bearer}` } })
      t.equal(viaBearer.json().via, 'bearer')
      t.notOk('csrfToken' in viaBearer.json(), 'a bearer caller gets no CSRF token')
      t.same([viaCookie.json().via, viaCookie.json().csrfToken], ['cookie', csrf], 'the cookie caller gets its CSRF token')
      t.equal(again.body, viaBearer.body, 'the same caller, the same answer')
      t.match(again.headers['content-type'], /^application\/json/)
      const other = await inject({ method: 'GET', url: '/api/auth/session', headers: as('viewer', project) })
      t.not(other.json().sub, 'u_browser', 'another token, its own answer')
    })

    const put: InjectOptions = { method: 'PUT', url: linkUrl(project, 'github'), payload: GITHUB }
    const patch: InjectOptions = { method: 'PATCH', url: linkUrl(project, 'github'), payload: { enabled: false } }
    const del: InjectOptions = { method: 'DELETE', url: linkUrl(project, 'github') }
    const origin = { origin: TEST_ORIGIN }

    /** Every way a cookie-authenticated write must fail the CSRF check. */
    async function refusedWithoutCsrf (t: Test, request: InjectOptions, name: string) {
      const otherSession = token({ sub: 'u_other', roles: { [project]: 'owner' } })
      const otherCsrf = app.auth.csrfTokenFor(otherSession)
      const attempts: Array<[string, () => Promise<LightMyRequestResponse>]> = [
        ['no CSRF header', () => browser(request, origin)],
        ['wrong CSRF header', () => browser(request, { ...origin, 'x-csrf-token': 'x'.repeat(csrf.length) })],
        ['CSRF token of another session', () => browser(request, { ...origin, 'x-csrf-token': otherCsrf })],
        ['header and is_csrf cookie both forged alike', () => inject({ ...request, cookies: { ...cookies, is_csrf: 'forged' }, headers: { ...origin, 'x-csrf-token': 'forged' } })],
        ['right header but no is_csrf cookie', () => inject({ ...request, cookies: { is_session: cookies.is_session }, headers: { ...origin, 'x-csrf-token': csrf } })],
        ['right token, no Origin', () => browser(request, { 'x-csrf-token': csrf })],
        ['right token, foreign Origin', () => browser(request, { origin: 'https://evil.example', 'x-csrf-token': csrf })],
        ['right token, look-alike Origin', () => browser(request, { origin: `${TEST_ORIGIN}.evil.example`, 'x-csrf-token': csrf })],
        ['right token, Origin null', () => browser(request, { origin: 'null', 'x-csrf-token': csrf })]
      ]
      for (const [what, send] of attempts) expectError(t, await send(), 403, 'CSRF_FAILED', `${name}: ${what}`)
    }

    t.test('writes need the CSRF token and an allowed Origin', async (t) => {
      await refusedWithoutCsrf(t, put, 'PUT')
      t.same(await list(), [], 'no refused PUT created the link')

      const created = await browser(put, { ...origin, 'x-csrf-token': csrf })
      t.equal(created.statusCode, 201, 'PUT with the CSRF token and allowed Origin')

      await refusedWithoutCsrf(t, patch, 'PATCH')
      t.equal((await list())[0]?.enabled, true, 'no refused PATCH disabled the link')
      const patched = await browser(patch, { ...origin, 'x-csrf-token': csrf })
      t.equal(patched.statusCode, 200, 'PATCH with the CSRF token and allowed Origin')
      t.equal(patched.json().enabled, false, 'PATCH took effect')

      await refusedWithoutCsrf(t, del, 'DELETE')
      t.equal((await list()).length, 1, 'no refused DELETE removed the link')
      const removed = await browser(del, { ...origin, 'x-csrf-token': csrf })
      t.equal(removed.statusCode, 204, 'DELETE with the CSRF token and allowed Origin')
      t.same(await list(), [], 'DELETE took effect')
    })

    t.test('bearer requests are exempt from CSRF', async (t) => {
      const headers = { authorization: `Bearer ${bearer}` }
      const created = await inject({ ...put, headers })
      t.equal(created.statusCode, 201, 'PUT with bearer, no Origin, no CSRF header')
      const patched = await inject({ ...patch, headers })
      t.equal(patched.statusCode, 200, 'PATCH with bearer, no Origin, no CSRF header')
      const removed = await inject({ ...del, headers })
      t.equal(removed.statusCode, 204, 'DELETE with bearer, no Origin, no CSRF header')
      // The bearer header wins over a cookie, so its CSRF exemption holds even with the cookie present.
      const both = await inject({ ...put, headers, cookies })
      t.equal(both.statusCode, 201, 'bearer plus cookie: bearer decides, no CSRF needed')
      t.equal((await inject({ ...del, headers })).statusCode, 204, 'clean up')
    })

    t.test('ending the session', async (t) => {
      expectError(t, await browser({ method: 'DELETE', url: '/api/auth/session' }, origin), 403, 'CSRF_FAILED', 'DELETE session without CSRF header')
      const ended = await browser({ method: 'DELETE', url: '/api/auth/session' }, { ...origin, 'x-csrf-token': csrf })
      t.equal(ended.statusCode, 204, 'DELETE session with the CSRF token')
      for (const name of ['is_session', 'is_csrf']) {
        const cleared = cookieNamed(ended, name)
        t.ok(cleared, `${name} is cleared`)
        t.equal(cleared?.value, '', `${name} emptied`)
      }
    })
  })
})

t.test('starting a session from a cookie is refused', async (t) => {
  const { app, token } = await build(t)
  const session = token({ sub: 'u_browser', roles: { p1: 'owner' } })
  const csrf = app.auth.csrfTokenFor(session)

  const noCsrf = await app.inject({ method: 'POST', url: '/api/auth/session', cookies: { is_session: session } })
  expectError(t, noCsrf, 403, 'CSRF_FAILED', 'cookie-only POST /api/auth/session without CSRF')
  const { document } = await loadContract()
  t.ok(document.paths['/api/auth/session'].post.responses['403'], 'openapi.yaml documents 403 for POST /api/auth/session')

  const withCsrf = await app.inject({
    method: 'POST',
    url: '/api/auth/session',
    cookies: { is_session: session, is_csrf: csrf },
    headers: { origin: TEST_ORIGIN, 'x-csrf-token': csrf }
  })
  const body = expectError(t, withCsrf, 400, 'BAD_REQUEST', 'cookie-only POST /api/auth/session with CSRF')
  t.match(body.message, /bearer/, 'tells the caller to use a bearer token')
  t.equal(cookieNamed(withCsrf, 'is_session'), undefined, 'no new session cookie')
})

t.test('project ids that name Object.prototype members grant nothing', async (t) => {
  const { app, token } = await build(t)
  const authorization = `Bearer ${token({ sub: 'u_proto', roles: { p_real: 'owner' } })}`
  for (const projectId of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    const res = await app.inject({ url: `/api/projects/${projectId}/integrations`, headers: { authorization } })
    t.equal(res.statusCode, 403, `${projectId}: 403`)
    t.equal(res.json().code, 'FORBIDDEN')
    t.equal(res.json().message, 'You do not have access to this project', `${projectId}: the generic message, no role named`)
  }
})

t.test('verified tokens are remembered by their exact value, until exp, as frozen users', async (t) => {
  const s = await build(t, { env: { AUTH_CLOCK_TOLERANCE_SECONDS: '0' } })
  const session = (headers: InjectOptions['headers']) => s.app.inject({ method: 'GET', url: '/api/auth/session', headers })
  // exp a little over 2 s away, on a whole second: the test waits for it.
  const exp = nowSeconds() + 3
  const token = signToken(TEST_JWT_SECRET, { sub: 'u_cached', roles: { p_cache: 'owner' } }, { expiresInSeconds: exp - nowSeconds() })
  const header = `Bearer ${token}`
  t.equal((await session({ authorization: header })).statusCode, 200, 'first request: verified')
  const cached = s.app.auth.cachedUser(header, 'bearer')
  t.ok(cached, 'remembered under the exact header value')
  t.equal(s.app.auth.cachedUser(`bearer ${token}`, 'bearer'), undefined, 'another spelling of the header is another key (verified on its own)')
  t.equal(s.app.auth.cachedUser(token, 'cookie'), undefined, 'a bearer entry never answers for a cookie')
  t.ok(Object.isFrozen(cached) && Object.isFrozen(cached!.roles), 'the shared user and its roles are frozen')
  t.throws(() => cached!.expiresAt.setTime(0), TypeError, 'its expiry cannot be moved either')
  const again = await session({ authorization: header })
  t.match(again.json(), { sub: 'u_cached', roles: { p_cache: 'owner' }, via: 'bearer' }, 'second request: the same caller, from the cache')

  const byCookie = await s.app.inject({ method: 'GET', url: '/api/auth/session', cookies: { is_session: token } })
  t.match(byCookie.json(), { sub: 'u_cached', via: 'cookie' }, 'the same token by cookie is its own entry, with via: cookie')

  await sleep(Math.max(0, exp * 1000 - Date.now()) + 50)
  expectError(t, await session({ authorization: header }), 401, 'TOKEN_EXPIRED', 'at exp the cached entry is not served: the token is checked again and refused')
  expectError(t, await s.app.inject({ method: 'GET', url: '/api/auth/session', cookies: { is_session: token } }), 401, 'TOKEN_EXPIRED', 'by cookie too')
  t.equal(s.app.auth.cachedUser(header, 'bearer'), undefined, 'and the entry is gone')
})

t.test('AUTH_TOKEN_CACHE_SIZE bounds the cache; 0 turns it off', async (t) => {
  const s = await build(t, { env: { AUTH_TOKEN_CACHE_SIZE: '2' } })
  for (let i = 0; i < 5; i++) {
    const token = signToken(TEST_JWT_SECRET, { sub: `u_${i}`, roles: {} })
    t.equal((await s.app.inject({ method: 'GET', url: '/api/auth/session', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)
  }
  t.equal(s.app.auth.users.size, 2, 'five tokens, two remembered')
  const off = await build(t, { env: { AUTH_TOKEN_CACHE_SIZE: '0' } })
  const token = signToken(TEST_JWT_SECRET, { sub: 'u_off', roles: {} })
  t.equal((await off.app.inject({ method: 'GET', url: '/api/auth/session', headers: { authorization: `Bearer ${token}` } })).statusCode, 200, 'size 0: still authenticates')
  t.equal(off.app.auth.users.size, 0, 'size 0: nothing remembered')
})
