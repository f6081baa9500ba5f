import { connect } from 'node:net'
import t from 'tap'
import type { Test } from 'tap'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { build, eachBackend } from '../helper.js'
import { loadContract } from '../contract/contract-checker.js'

/**
 * Bad input never reaches a 500, always gets the documented Error body with a catalog code, and
 * never costs data already stored. The helper checks every response against openapi.yaml too.
 */

const ERROR_KEYS = ['code', 'details', 'error', 'message', 'requestId', 'statusCode']
const GITHUB = { config: { owner: 'acme', repo: 'web', branch: 'main' }, credentials: { token: 'ghp_test' } }
const SUPABASE = { config: { projectRef: 'abcdef', databaseUrl: 'postgres://app:s3cret@db.example.test:5432/app' }, credentials: { token: 'sbp_test' } }
const BODY_LIMIT = 100 * 1024

interface ErrorBody {
  statusCode: number
  code: string
  error: string
  message: string
  requestId: string
  details?: Array<{ path: string, in?: string, message: string }>
}

interface Reply { status: number, headers: Record<string, string | string[] | undefined>, body: string }

const fromInject = (res: LightMyRequestResponse): Reply => ({ status: res.statusCode, headers: res.headers as Reply['headers'], body: res.body })

async function fromFetch (res: Response): Promise<Reply> {
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }
}

/** The documented Error shape, the status and the catalog code. */
function expectError (t: Test, reply: Reply, status: number, code: string, what: string): ErrorBody {
  t.ok(reply.status < 500, `${what}: not a 5xx (got ${reply.status})`)
  t.equal(reply.status, status, `${what}: status ${status}`)
  let body: ErrorBody
  try {
    body = JSON.parse(reply.body)
  } catch {
    t.fail(`${what}: body is not JSON: ${reply.body.slice(0, 120)}`)
    return {} as ErrorBody
  }
  t.match(String(reply.headers['content-type']), /^application\/json/, `${what}: JSON content type`)
  t.match(body, { statusCode: status, code, error: /./, message: /./, requestId: reply.headers['x-request-id'] ?? /x-request-id header missing/ },
    `${what}: Error body with code ${code} and the x-request-id as requestId`)
  t.same(Object.keys(body).filter((k) => !ERROR_KEYS.includes(k)), [], `${what}: no undocumented keys`)
  return body
}

/** VALIDATION_FAILED with details, one of which names `path` in `where`. */
function expectValidation (t: Test, reply: Reply, what: string, path: string, where = 'body') {
  const body = expectError(t, reply, 400, 'VALIDATION_FAILED', what)
  t.ok(Array.isArray(body.details) && body.details.length > 0, `${what}: has details`)
  for (const detail of body.details ?? []) {
    t.type(detail.path, 'string', `${what}: detail path`)
    t.type(detail.message, 'string', `${what}: detail message`)
  }
  t.ok(body.details?.some((d) => d.path === path && d.in === where), `${what}: a detail names ${where} ${path}`)
  return body
}

const linksUrl = (projectId: string) => `/api/projects/${projectId}/integrations`
const linkUrl = (projectId: string, key: string) => `/api/projects/${projectId}/integrations/${key}`
const json = { 'content-type': 'application/json' }
const bigBody = (bytes: number) => JSON.stringify({ config: GITHUB.config, credentials: { token: 'x'.repeat(bytes) } })

eachBackend(t, 'bad input to every route', async (t, backend) => {
  const { app, as, logs } = await build(t, { backend })
  const P = 'p_bad_input'
  const owner = as('owner', P)
  const send = async (options: InjectOptions) => fromInject(await app.inject(options))

  // Data linked before any bad request: must come through all of them unchanged.
  t.equal((await send({ method: 'PUT', url: linkUrl(P, 'github'), headers: owner, payload: GITHUB })).status, 201, 'seed github')
  t.equal((await send({ method: 'PUT', url: linkUrl(P, 'supabase'), headers: owner, payload: SUPABASE })).status, 201, 'seed supabase')
  t.equal((await send({ method: 'PATCH', url: linkUrl(P, 'github'), headers: owner, payload: { hiddenFromRoles: ['viewer'] } })).status, 200, 'seed hiddenFromRoles')
  const before = await send({ method: 'GET', url: linksUrl(P), headers: owner })
  t.equal(before.status, 200, 'listed the seeded links')
  t.equal(JSON.parse(before.body).items.length, 2, 'two links stored')

  t.test('malformed JSON is 400 INVALID_JSON on every route that takes a body', async (t) => {
    const broken = ['{"config":', '{enabled: true}', "{'enabled': true}", '{"enabled":true,}', 'tru', '\u0000', '{"a":1}}']
    for (const payload of broken) {
      for (const [method, url] of [['PUT', linkUrl(P, 'github')], ['PATCH', linkUrl(P, 'github')], ['DELETE', linkUrl(P, 'github')]] as const) {
        expectError(t, await send({ method, url, headers: { ...owner, ...json }, payload }), 400, 'INVALID_JSON', `${method} ${JSON.stringify(payload)}`)
      }
    }
    for (const method of ['POST', 'DELETE'] as const) {
      expectError(t, await send({ method, url: '/api/auth/session', headers: { ...owner, ...json }, payload: '{"x":' }), 400, 'INVALID_JSON', `${method} /api/auth/session`)
    }
    // Prototype poisoning is refused at parse time, not merged into anything.
    for (const payload of ['{"__proto__":{"enabled":true}}', '{"enabled":true,"constructor":{"prototype":{"polluted":1}}}']) {
      expectError(t, await send({ method: 'PATCH', url: linkUrl(P, 'github'), headers: { ...owner, ...json }, payload }), 400, 'INVALID_JSON', `PATCH ${payload}`)
    }
    t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched')
  })

  t.test('empty JSON body with a JSON content type is 400', async (t) => {
    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
      expectError(t, await send({ method, url: linkUrl(P, 'github'), headers: { ...owner, ...json }, payload: '' }), 400, 'INVALID_JSON', `${method} with empty body`)
    }
    expectError(t, await send({ method: 'POST', url: '/api/auth/session', headers: { ...owner, ...json }, payload: '' }), 400, 'INVALID_JSON', 'POST /api/auth/session with empty body')
  })

  t.test('JSON that is not an object is 400 VALIDATION_FAILED', async (t) => {
    for (const payload of ['null', '[]', '"text"', '42', 'true']) {
      expectValidation(t, await send({ method: 'PUT', url: linkUrl(P, 'github'), headers: { ...owner, ...json }, payload }), `PUT ${payload}`, '/')
      expectValidation(t, await send({ method: 'PATCH', url: linkUrl(P, 'github'), headers: { ...owner, ...json }, payload }), `PATCH ${payload}`, '/')
    }
  })

  t.test('wrong types are 400 VALIDATION_FAILED with details, never coerced', async (t) => {
    const patch = (payload: unknown) => send({ method: 'PATCH', url: linkUrl(P, 'github'), headers: owner, payload: payload as object })
    const put = (key: string, payload: unknown) => send({ method: 'PUT', url: linkUrl(P, key), headers: owner, payload: payload as object })

    const enabled = expectValidation(t, await patch({ enabled: 'true' }), 'PATCH enabled: "true"', '/enabled')
    t.match(enabled.message, /enabled/, 'message names the field')
    expectValidation(t, await patch({ enabled: 'false' }), 'PATCH enabled: "false"', '/enabled')
    expectValidation(t, await patch({ enabled: 1 }), 'PATCH enabled: 1', '/enabled')
    expectValidation(t, await patch({ enabled: 0 }), 'PATCH enabled: 0', '/enabled')
    expectValidation(t, await patch({ enabled: null }), 'PATCH enabled: null', '/enabled')
    expectValidation(t, await patch({ enabled: [true] }), 'PATCH enabled: [true]', '/enabled')
    const root = expectValidation(t, await patch({ hiddenFromRoles: ['root'] }), 'PATCH hiddenFromRoles: ["root"]', '/hiddenFromRoles/0')
    t.match(root.message, /hiddenFromRoles/, 'message names the field')
    expectValidation(t, await patch({ hiddenFromRoles: 'viewer' }), 'PATCH hiddenFromRoles: "viewer"', '/hiddenFromRoles')
    expectValidation(t, await patch({ hiddenFromRoles: ['viewer', 'viewer'] }), 'PATCH hiddenFromRoles duplicated', '/hiddenFromRoles')
    expectValidation(t, await patch({ hiddenFromRoles: ['owner', 'admin', 'editor', 'viewer', 'owner'] }), 'PATCH hiddenFromRoles too many', '/hiddenFromRoles')
    expectValidation(t, await patch({}), 'PATCH {}', '/')

    const token5 = expectValidation(t, await put('github', { ...GITHUB, credentials: { token: 5 } }), 'PUT credentials.token: 5', '/credentials/token')
    t.match(token5.message, /credentials\/token/, 'message names the field')
    expectValidation(t, await put('github', { ...GITHUB, credentials: { token: '' } }), 'PUT credentials.token: ""', '/credentials/token')
    expectValidation(t, await put('github', { ...GITHUB, credentials: { token: 'x'.repeat(4097) } }), 'PUT credentials.token too long', '/credentials/token')
    expectValidation(t, await put('github', { ...GITHUB, credentials: 'ghp_test' }), 'PUT credentials as a string', '/credentials')
    expectValidation(t, await put('github', { config: GITHUB.config }), 'PUT without credentials', '/')
    expectValidation(t, await put('github', { credentials: GITHUB.credentials }), 'PUT without config', '/')
    expectValidation(t, await put('github', { ...GITHUB, config: null }), 'PUT config: null', '/config')
    expectValidation(t, await put('github', { ...GITHUB, config: 'acme/web' }), 'PUT config as a string', '/config')
    expectValidation(t, await put('github', { ...GITHUB, config: { ...GITHUB.config, owner: 42 } }), 'PUT config.owner: 42', '/config/owner')
  })

  t.test('config not matching the key names the field', async (t) => {
    const githubUnderVercel = expectValidation(t, await send({ method: 'PUT', url: linkUrl(P, 'vercel'), headers: owner, payload: GITHUB }), 'github config under /vercel', '/config/projectId')
    t.match(githubUnderVercel.message, /VercelLinkConfig/, 'message names the expected config')
    t.match(githubUnderVercel.message, /projectId/, 'message names the missing field')
    t.ok(githubUnderVercel.details?.some((d) => d.path === '/config/owner'), 'the github-only field is flagged too')

    const cases: Array<[string, string, object, string]> = [
      ['vercel config under /github', 'github', { config: { projectId: 'prj_web' }, credentials: { token: 't' } }, '/config/owner'],
      ['sanity config under /supabase', 'supabase', { config: { projectId: 'abc', dataset: 'production' }, credentials: { token: 't' } }, '/config/projectRef'],
      ['supabase config under /sanity', 'sanity', { config: { projectRef: 'abc' }, credentials: { token: 't' } }, '/config/projectId'],
      ['github owner with a bad pattern', 'github', { ...GITHUB, config: { ...GITHUB.config, owner: '-acme' } }, '/config/owner'],
      ['github branch with a space', 'github', { ...GITHUB, config: { ...GITHUB.config, branch: 'my branch' } }, '/config/branch'],
      ['supabase databaseUrl not postgres', 'supabase', { ...SUPABASE, config: { projectRef: 'abcdef', databaseUrl: 'mysql://db/app' } }, '/config/databaseUrl'],
      ['sanity dataset upper case', 'sanity', { config: { projectId: 'abc', dataset: 'Production' }, credentials: { token: 't' } }, '/config/dataset']
    ]
    for (const [what, key, payload, path] of cases) {
      const body = expectValidation(t, await send({ method: 'PUT', url: linkUrl(P, key), headers: owner, payload }), what, path)
      t.match(body.message, path.split('/').pop()!, `${what}: message names the field`)
    }
  })

  t.test('unknown properties are 400, not silently dropped', async (t) => {
    const cases: Array<[string, 'PUT' | 'PATCH', object, string]> = [
      ['top level of PUT', 'PUT', { ...GITHUB, extra: 1 }, '/'],
      ['inside credentials', 'PUT', { ...GITHUB, credentials: { token: 't', refreshToken: 'r' } }, '/credentials'],
      ['inside config', 'PUT', { ...GITHUB, config: { ...GITHUB.config, private: true } }, '/config/private'],
      ['top level of PATCH', 'PATCH', { enabled: false, extra: 1 }, '/'],
      ['PATCH trying to write config', 'PATCH', { config: { owner: 'evil' } }, '/']
    ]
    for (const [what, method, payload, path] of cases) {
      expectValidation(t, await send({ method, url: linkUrl(P, 'github'), headers: owner, payload }), what, path)
    }
  })

  t.test('unknown provider key is 400 UNKNOWN_PROVIDER', async (t) => {
    for (const key of ['gitlab', 'GitHub', 'github ', 'vercel.com', '__proto__']) {
      const url = linkUrl(P, encodeURIComponent(key))
      const requests: Array<[string, InjectOptions]> = [
        ['PUT', { method: 'PUT', url, headers: owner, payload: GITHUB }],
        ['PATCH', { method: 'PATCH', url, headers: owner, payload: { enabled: false } }],
        ['DELETE', { method: 'DELETE', url, headers: owner }]
      ]
      for (const [method, request] of requests) {
        const body = expectError(t, await send(request), 400, 'UNKNOWN_PROVIDER', `${method} /integrations/${key}`)
        t.ok(body.details?.some((d) => d.path === '/key' && d.in === 'params'), `${method} ${key}: detail names params /key`)
      }
    }
  })

  t.test('invalid projectId is 400', async (t) => {
    for (const projectId of ['p 1', '.hidden', '-dash', 'p/../x', 'p%', 'ünïcode', 'p;drop']) {
      const encoded = encodeURIComponent(projectId)
      const headers = as('owner', projectId)
      const requests: Array<[string, InjectOptions]> = [
        ['GET', { method: 'GET', url: linksUrl(encoded), headers }],
        ['PUT', { method: 'PUT', url: linkUrl(encoded, 'github'), headers, payload: GITHUB }],
        ['PATCH', { method: 'PATCH', url: linkUrl(encoded, 'github'), headers, payload: { enabled: false } }],
        ['DELETE', { method: 'DELETE', url: linkUrl(encoded, 'github'), headers }]
      ]
      for (const [method, request] of requests) {
        expectValidation(t, await send(request), `${method} projectId ${JSON.stringify(projectId)}`, '/projectId', 'params')
      }
    }
    // The router passes up to 256 characters on, so the schema's 128 is the limit that applies.
    const hundred = 'a'.repeat(100)
    t.equal((await send({ method: 'GET', url: linksUrl(hundred), headers: as('owner', hundred) })).status, 200, 'a valid 100-character projectId works')
  })

  t.test('oversized body is 413 PAYLOAD_TOO_LARGE', async (t) => {
    for (const method of ['PUT', 'PATCH'] as const) {
      expectError(t, await send({ method, url: linkUrl(P, 'github'), headers: { ...owner, ...json }, payload: bigBody(BODY_LIMIT + 1) }), 413, 'PAYLOAD_TOO_LARGE', `${method} just over BODY_LIMIT`)
      expectError(t, await send({ method, url: linkUrl(P, 'github'), headers: { ...owner, ...json }, payload: bigBody(5 * BODY_LIMIT) }), 413, 'PAYLOAD_TOO_LARGE', `${method} 5 x BODY_LIMIT`)
    }
    // Just under the limit is parsed (and then refused by the schema's own maxLength, not by size).
    const under = await send({ method: 'PUT', url: linkUrl(P, 'github'), headers: { ...owner, ...json }, payload: bigBody(BODY_LIMIT - 200) })
    expectValidation(t, under, 'PUT just under BODY_LIMIT', '/credentials/token')
  })

  t.test('unsupported content types are 415 UNSUPPORTED_MEDIA_TYPE', async (t) => {
    const types: Array<[string, string]> = [
      ['application/xml', '<link><enabled>false</enabled></link>'],
      ['application/x-www-form-urlencoded', 'enabled=false'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="enabled"\r\n\r\nfalse\r\n--x--'],
      ['application/octet-stream', '{"enabled":false}'],
      ['not a media type', '{"enabled":false}']
    ]
    for (const [type, payload] of types) {
      for (const method of ['PUT', 'PATCH'] as const) {
        expectError(t, await send({ method, url: linkUrl(P, 'github'), headers: { ...owner, 'content-type': type }, payload }), 415, 'UNSUPPORTED_MEDIA_TYPE', `${method} as ${type}`)
      }
    }
    // A body with no Content-Type at all is not guessed to be JSON.
    const untyped = await app.inject({ method: 'PATCH', url: linkUrl(P, 'github'), headers: owner, payload: Buffer.from('{"enabled":false}') })
    expectError(t, fromInject(untyped), 415, 'UNSUPPORTED_MEDIA_TYPE', 'PATCH without Content-Type')
    // The JSON type with parameters is still JSON.
    const withCharset = await send({ method: 'PATCH', url: linkUrl(P, 'sanity'), headers: { ...owner, 'content-type': 'application/json; charset=utf-8' }, payload: '{"enabled":false}' })
    expectError(t, withCharset, 404, 'LINK_NOT_FOUND', 'PATCH as application/json; charset=utf-8 reaches the handler')
  })

  t.test('unknown routes are 404 ROUTE_NOT_FOUND', async (t) => {
    const requests: Array<[string, string]> = [
      ['GET', '/api/nope'],
      ['GET', '/api/projects'],
      ['GET', linkUrl(P, 'github')],
      ['POST', linkUrl(P, 'github')],
      ['POST', linksUrl(P)],
      ['PUT', linksUrl(P)],
      ['GET', `${linkUrl(P, 'github')}/extra`],
      ['POST', '/healthz'],
      ['PUT', '/readyz'],
      ['DELETE', '/metrics'],
      ['PATCH', '/api/auth/session']
    ]
    for (const [method, url] of requests) {
      const body = expectError(t, await send({ method: method as InjectOptions['method'], url, headers: owner }), 404, 'ROUTE_NOT_FOUND', `${method} ${url}`)
      t.match(body.message, `${method} ${url}`, `${method} ${url}: message names the request`)
    }
    const queried = expectError(t, await send({ method: 'GET', url: '/nope?token=secret', headers: owner }), 404, 'ROUTE_NOT_FOUND', 'GET with a query string')
    t.notMatch(queried.message, 'secret', 'the query string is not echoed')
  })

  t.test('missing links are 404 LINK_NOT_FOUND', async (t) => {
    expectError(t, await send({ method: 'PATCH', url: linkUrl(P, 'vercel'), headers: owner, payload: { enabled: false } }), 404, 'LINK_NOT_FOUND', 'PATCH of a link never made')
    expectError(t, await send({ method: 'PATCH', url: linkUrl('p_nobody', 'github'), headers: as('owner', 'p_nobody'), payload: { enabled: true } }), 404, 'LINK_NOT_FOUND', 'PATCH on a project with no links')
    expectError(t, await send({ method: 'DELETE', url: linkUrl(P, 'sanity'), headers: owner }), 404, 'LINK_NOT_FOUND', 'DELETE of a link never made')
  })

  t.test('valid requests refused as bad input did not create anything', async (t) => {
    const nobody = await send({ method: 'GET', url: linksUrl('p_nobody'), headers: as('owner', 'p_nobody') })
    t.same(JSON.parse(nobody.body).items, [], 'the 404 PATCH did not create a link')
    const hundred = 'a'.repeat(100)
    const long = await send({ method: 'GET', url: linksUrl(hundred), headers: as('owner', hundred) })
    t.same(JSON.parse(long.body).items, [], 'nothing linked under other projects')
  })

  t.test('after all that, the data linked before is unchanged', async (t) => {
    const after = await send({ method: 'GET', url: linksUrl(P), headers: owner })
    t.equal(after.status, 200, 'still listed')
    t.equal(after.body, before.body, 'byte-identical list: same links, configs, flags, fingerprints and timestamps')
    const items = JSON.parse(after.body).items
    t.same(items.map((l: { key: string }) => l.key), ['github', 'supabase'], 'no link added, none lost')
    t.same(items[0].config, GITHUB.config, 'github config as linked')
    t.same(items[0].hiddenFromRoles, ['viewer'], 'github hiddenFromRoles as patched')
    t.equal(items[0].enabled, true, 'github still enabled')
    t.equal(items[1].config.databaseUrl, 'postgres://app:***@db.example.test:5432/app', 'supabase databaseUrl still masked')
    t.ok(items.every((l: { credentials: { present: boolean } }) => l.credentials.present), 'credentials still present')
    // The stored credentials still decrypt to what was linked.
    t.same(await app.integrationLinks.credentials(P, 'github'), { token: 'ghp_test' }, 'github token intact')
    t.same(await app.integrationLinks.credentials(P, 'supabase'), { token: 'sbp_test', databaseUrl: SUPABASE.config.databaseUrl }, 'supabase secrets intact')
    // And the store still takes writes.
    const patched = await send({ method: 'PATCH', url: linkUrl(P, 'github'), headers: owner, payload: { enabled: false } })
    t.equal(patched.status, 200, 'a good request after the bad ones works')
  })

  t.test('no bad request was logged as a server error', async (t) => {
    t.ok(logs.length > 0, 'logs were captured')
    const errors = logs.filter((line) => JSON.parse(line).level >= 50)
    t.same(errors, [], 'no error-level log line')
  })
})

eachBackend(t, 'bad input over real HTTP', async (t, backend) => {
  const { url, as, logs } = await build(t, { backend, listen: true })
  const P = 'p_wire'
  const owner = as('owner', P)
  const call = async (path: string, init: RequestInit = {}) => fromFetch(await fetch(`${url}${path}`, init))

  const seeded = await call(linkUrl(P, 'github'), { method: 'PUT', headers: { ...owner, ...json }, body: JSON.stringify(GITHUB) })
  t.equal(seeded.status, 201, 'seed over HTTP')
  const before = await call(linksUrl(P), { headers: owner })

  expectError(t, await call(linkUrl(P, 'github'), { method: 'PUT', headers: { ...owner, ...json }, body: '{"config":' }), 400, 'INVALID_JSON', 'malformed JSON')
  expectError(t, await call(linkUrl(P, 'github'), { method: 'PATCH', headers: { ...owner, ...json }, body: '' }), 400, 'INVALID_JSON', 'empty JSON body')
  expectValidation(t, await call(linkUrl(P, 'github'), { method: 'PATCH', headers: { ...owner, ...json }, body: '{"enabled":"true"}' }), 'enabled: "true"', '/enabled')
  expectValidation(t, await call(linkUrl(P, 'vercel'), { method: 'PUT', headers: { ...owner, ...json }, body: JSON.stringify(GITHUB) }), 'github config under /vercel', '/config/projectId')
  expectError(t, await call(linkUrl(P, 'gitlab'), { method: 'PUT', headers: { ...owner, ...json }, body: JSON.stringify(GITHUB) }), 400, 'UNKNOWN_PROVIDER', 'unknown provider')
  expectValidation(t, await call(linksUrl('p%20wire'), { headers: as('owner', 'p wire') }), 'projectId with a space', '/projectId', 'params')
  expectError(t, await call(linkUrl(P, 'github'), { method: 'PUT', headers: { ...owner, ...json }, body: bigBody(BODY_LIMIT * 2) }), 413, 'PAYLOAD_TOO_LARGE', 'oversized body')
  expectError(t, await call(linkUrl(P, 'github'), { method: 'PATCH', headers: { ...owner, 'content-type': 'application/xml' }, body: '<enabled>false</enabled>' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'XML body')
  expectError(t, await call('/api/nope', { headers: owner }), 404, 'ROUTE_NOT_FOUND', 'unknown route')
  expectError(t, await call(linkUrl(P, 'sanity'), { method: 'PATCH', headers: { ...owner, ...json }, body: '{"enabled":false}' }), 404, 'LINK_NOT_FOUND', 'PATCH of a missing link')

  // A caller-supplied request id follows the error back; a hostile one is replaced.
  const traced = await call('/api/nope', { headers: { ...owner, 'x-request-id': 'trace-123' } })
  t.equal(JSON.parse(traced.body).requestId, 'trace-123', 'harmless x-request-id is echoed in the error body')
  const hostile = await call('/api/nope', { headers: { ...owner, 'x-request-id': 'bad id <script>' } })
  t.not(JSON.parse(hostile.body).requestId, 'bad id <script>', 'hostile x-request-id is not echoed')

  const after = await call(linksUrl(P), { headers: owner })
  t.equal(after.body, before.body, 'stored link unchanged after the bad requests')
  t.notOk(logs.some((line) => JSON.parse(line).level >= 50), 'no error-level log line from bad input')
})

t.test('router, parser and media-type edges (regressions of bugs found in review)', async (t) => {
  const { app, as, url } = await build(t, { listen: true })
  const { document } = await loadContract()
  const send = async (options: InjectOptions) => fromInject(await app.inject(options))
  const documented = (path: string, method: string, status: number) => Boolean(document.paths?.[path]?.[method]?.responses?.[String(status)])
  const P = 'p_bugs'
  const owner = as('owner', P)

  t.test('over-long projectId', async (t) => {
    const long = 'a'.repeat(200)
    expectError(t, await send({ method: 'GET', url: linksUrl(long), headers: as('owner', long) }), 400, 'VALIDATION_FAILED', 'GET with a 200-char projectId')
    // Authentication comes first: an anonymous caller learns nothing about the path's validity.
    expectError(t, fromInject(await app.inject({ method: 'GET', url: linksUrl(long) })), 401, 'UNAUTHENTICATED', 'unauthenticated GET with a 200-char projectId')
    // ProjectId allows 128 characters, so this one is valid and must work.
    const max = 'b'.repeat(128)
    const put = await send({ method: 'PUT', url: linkUrl(max, 'github'), headers: as('owner', max), payload: GITHUB })
    t.equal(put.status, 201, 'PUT on a valid 128-char projectId links it')
  })

  t.test('malformed percent-encoding in the path', async (t) => {
    expectError(t, await send({ method: 'GET', url: '/api/projects/%E0%A4%A/integrations', headers: owner }), 400, 'BAD_REQUEST', 'GET with a broken %-escape')
  })

  t.test('text/plain bodies', async (t) => {
    const text = { ...owner, 'content-type': 'text/plain' }
    expectError(t, await send({ method: 'PUT', url: linkUrl(P, 'github'), headers: text, payload: JSON.stringify(GITHUB) }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'PUT as text/plain')
    expectError(t, await send({ method: 'PATCH', url: linkUrl(P, 'github'), headers: text, payload: '{"enabled":false}' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'PATCH as text/plain')
    expectError(t, await send({ method: 'DELETE', url: linkUrl(P, 'github'), headers: text, payload: 'x' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'DELETE with a text/plain body')
    expectError(t, await send({ method: 'POST', url: '/api/auth/session', headers: text, payload: 'x' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'POST /api/auth/session with a text/plain body')
  })

  t.test('413 and 415 on routes whose schema does not list them', async (t) => {
    const routes: Array<[string, 'DELETE' | 'POST', string, string]> = [
      ['DELETE', 'DELETE', linkUrl(P, 'github'), '/api/projects/{projectId}/integrations/{key}'],
      ['POST /api/auth/session', 'POST', '/api/auth/session', '/api/auth/session'],
      ['DELETE /api/auth/session', 'DELETE', '/api/auth/session', '/api/auth/session']
    ]
    for (const [what, method, target, path] of routes) {
      expectError(t, await send({ method, url: target, headers: { ...owner, 'content-type': 'application/xml' }, payload: '<a/>' }), 415, 'UNSUPPORTED_MEDIA_TYPE', `${what} with an XML body`)
      expectError(t, await send({ method, url: target, headers: { ...owner, ...json }, payload: bigBody(BODY_LIMIT + 1) }), 413, 'PAYLOAD_TOO_LARGE', `${what} with an oversized body`)
      t.ok(documented(path, method.toLowerCase(), 415), `${what}: 415 documented`)
      t.ok(documented(path, method.toLowerCase(), 413), `${what}: 413 documented`)
    }
  })

  /** Writes raw bytes over loopback and reads the answer until the server closes. */
  const raw = (request: string) => new Promise<{ status: number, body: Partial<ErrorBody> }>((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () => { socket.end(request) })
    let text = ''
    socket.on('data', (chunk) => { text += chunk })
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n')
      let parsed: Partial<ErrorBody> = {}
      try { parsed = JSON.parse(body) } catch {}
      resolve({ status: Number(head.split(' ')[1]), body: parsed })
    })
    socket.on('error', reject)
  })

  t.test('HTTP-level garbage gets the Error body too', async (t) => {
    const { status, body } = await raw(`PATCH ${linkUrl(P, 'github')} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${owner.authorization}\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}`)
    t.equal(status, 400, 'invalid Content-Length is a 400')
    t.equal(body.code, 'BAD_REQUEST', 'has a catalog code')
    t.type(body.requestId, 'string', 'has a requestId')
  })

  t.test('headers over the parser\'s limit: 431 with the Error body and a catalog code', async (t) => {
    const { status, body } = await raw(`GET /api/integrations/status?projectId=${P} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${owner.authorization}\r\nX-Padding: ${'x'.repeat(20_000)}\r\n\r\n`)
    t.equal(status, 431, '431 Request Header Fields Too Large')
    t.match(body, { statusCode: 431, code: 'HEADERS_TOO_LARGE', error: 'Request Header Fields Too Large' }, 'the Error body, HEADERS_TOO_LARGE')
    t.type(body.requestId, 'string', 'has a requestId')
    const contract = document as unknown as { info: { description: string }, components: { schemas: { Error: { properties: { code: { enum: string[] } } } } } }
    t.ok(contract.components.schemas.Error.properties.code.enum.includes('HEADERS_TOO_LARGE'), 'the code is in the contract\'s enum')
    t.match(contract.info.description, /431 `HEADERS_TOO_LARGE`/, 'and openapi.yaml says when it is sent')
  })
})
