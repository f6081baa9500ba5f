import t from 'tap'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { build, eachBackend, type BackendName } from '../helper.js'
import { openRawStream } from '../support/sse.js'
import { MAX_DEPTH } from '../../src/lib/validation.js'
import { checkErrorBody, loadOperations, minimalRequest, type Operation } from '../support/openapi-ops.js'

/**
 * Property-based fuzzing of every operation in openapi.yaml, as an authenticated owner of the
 * project: valid and invalid path params, query strings, headers and JSON bodies. Whatever is
 * sent, the answer is never a 5xx, every 4xx is the documented Error body with a catalog code
 * (the helper also checks each JSON response against the contract), and the app still answers
 * /healthz. Deterministic: the seed is fixed (FUZZ_SEED overrides it) and printed.
 *
 * Both backends get the same seed, so the same requests: the embedded one (PGlite, in-memory
 * cache, locks and pub/sub) and real PostgreSQL and Redis, as in production. The real half is not
 * cut down: its 120 runs per operation take about 3 s here (the embedded half about 12 s, most of
 * it PGlite); FUZZ_REAL_RUNS sets its count alone, FUZZ_RUNS both.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20240607)
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 120)
/** Runs per operation on each backend (FUZZ_REAL_RUNS overrides the real backend's). */
const RUNS: Record<BackendName, number> = {
  embedded: NUM_RUNS,
  real: Number(process.env.FUZZ_REAL_RUNS ?? NUM_RUNS)
}
const HOST_WORKER_TOKEN = 'host-worker-token-for-the-fuzz-suite-0123456789'
const PROJECT = 'p_fuzz'
const TEAM = 't_fuzz'
// Providers are never reached: a closed loopback port fails every check at once.
const DEAD = 'http://127.0.0.1:9'

/** Strings that broke parsers, routers and databases elsewhere. */
const NASTY = [
  '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '', ' ', '\u0000', 'a\u0000b',
  '..', '../..', '%', '%%', 'null', 'undefined', 'true', '[]', '{}', '-1', '0', '1e309', '-1e309', 'NaN', 'Infinity',
  '0x10', '9'.repeat(400), 'é'.repeat(300), '😀'.repeat(130), '\ud800', '\udfff', 'a'.repeat(10_000), '<script>',
  "' OR 1=1 --", '$' + '{jndi:ldap://x}', '\r\nx-injected: 1', 'p_fuzz\u0000', 'p_fuzz ', 'P_FUZZ', 'p_fuzz/..', 'github\u0000',
  '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '\u202e', '\ufeff', '\uffff'
]
/** Percent-escapes that do not decode to valid UTF-8, or do not decode at all. */
const BAD_ESCAPES = ['%ff%fe', '%ff', '%c0%af', '%ed%a0%80', '%e0%80%80', '%f8%88%80%80%80', '%zz', '%', '%1', 'a%', '%00', '%u0041']
const RAW_NUMBERS = ['1e309', '-1e309', '1e-400', '-0', '123456789012345678901234567890', '9007199254740993', '0.1e1', '1E+2', '-9223372036854775809']

const nastyText = fc.constantFrom(...NASTY)
const fuzzText = fc.oneof(
  { weight: 3, arbitrary: nastyText },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) }
)
/** Header values must be representable on the wire: printable ASCII, possibly odd. */
const headerText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
  fc.constantFrom('', ' ', '-1', '1e309', '00000000-0000-0000-0000-000000000000', 'x'.repeat(8000), 'NaN', '0', '999999999999999999999')
)

/** encodeURIComponent, or a raw malformed escape for lone surrogates (which it cannot encode). */
function encode (value: string) {
  try {
    return encodeURIComponent(value)
  } catch {
    return '%ed%a0%80'
  }
}

const RAW = '\u0001raw\u0001'
/** A JSON value with raw-number placeholders: `JSON.stringify` then `fillRaw`. */
const jsonish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fuzzText },
  { weight: 1, arbitrary: fc.constantFrom(...RAW_NUMBERS).map((n) => `${RAW}${n}`) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 31), [], {}, [[[]]], { __proto__: null, x: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }).map((n) => 'x'.repeat(n * 1024)) }
)
const fillRaw = (json: string) => json.replace(new RegExp(`"${RAW}([^"]*)"`, 'g'), '$1')

/** A raw request body (text or bytes) built around the operation's minimal valid body. */
function bodyArbitrary (valid: unknown): fc.Arbitrary<string | Buffer> {
  const base = (valid && typeof valid === 'object' ? valid : {}) as Record<string, unknown>
  const keys = Object.keys(base)
  const mutateKey = keys.length === 0
    ? fc.constant(JSON.stringify(base))
    : fc.tuple(fc.constantFrom(...keys), jsonish).map(([key, value]) => fillRaw(JSON.stringify({ ...base, [key]: value })))
  // Nested: one level further in, e.g. config.owner, credentials.token, error.code.
  const nested = keys.filter((k) => base[k] && typeof base[k] === 'object' && !Array.isArray(base[k]))
  const mutateNested = nested.length === 0
    ? mutateKey
    : fc.constantFrom(...nested).chain((outer) => {
      const inner = Object.keys(base[outer] as object)
      return fc.tuple(inner.length ? fc.constantFrom(...inner, '__proto__', 'extra') : fc.constant('extra'), jsonish)
        .map(([key, value]) => fillRaw(JSON.stringify({ ...base, [outer]: { ...(base[outer] as object), [key]: value } })))
    })
  const validText = JSON.stringify(base)
  const pollution = fc.constantFrom(
    `{"__proto__":{"polluted":"yes","isAdmin":true},${validText.slice(1)}`,
    `{"constructor":{"prototype":{"polluted":"yes"}},${validText.slice(1)}`,
    `${validText.slice(0, -1)}${keys.length ? ',' : ''}"__proto__":{"roles":{"p_other":"owner"}}}`,
    '{"__proto__":null}',
    '{"__proto__":[]}'
  )
  const deep = fc.integer({ min: 1, max: 20_000 }).chain((n) => fc.constantFrom(
    '['.repeat(n) + ']'.repeat(n),
    '{"a":'.repeat(n) + '1' + '}'.repeat(n),
    `${validText.slice(0, -1)}${keys.length ? ',' : ''}"deep":${'['.repeat(n)}${']'.repeat(n)}}`
  ))
  const huge = fc.constantFrom(99 * 1024, 100 * 1024 + 1, 300 * 1024).map((n) => JSON.stringify({ ...base, pad: 'x'.repeat(n) }))
  const invalidUtf8 = fc.constantFrom([0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x80]).map((bytes) =>
    Buffer.concat([Buffer.from('{"projectId":"'), Buffer.from(bytes), Buffer.from('","x":"'), Buffer.from(bytes), Buffer.from('"}')]))
  const broken = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('', ' ', '{', '{"a":', 'nul', '"\\ud800"', '\ufeff{}', '{"a":1}{"b":2}', '{"a":1,}', "{'a':1}"))
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(validText) },
    { weight: 4, arbitrary: mutateKey },
    { weight: 3, arbitrary: mutateNested },
    { weight: 2, arbitrary: pollution },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: huge },
    { weight: 1, arbitrary: invalidUtf8 },
    { weight: 2, arbitrary: broken },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null') }
  )
}

interface FuzzRequest {
  method: string
  url: string
  headers: Record<string, string>
  payload?: string | Buffer
  /** The team claim of the caller's token (the team routes compare it with the path). */
  team: string
  /** The caller's user id (the sub claim). */
  sub: string
}

/** Every part of one request to `op`, each valid or not. */
function requestArbitrary (document: any, op: Operation, names: { projectId: string, provider: string, id: string, team: string }): fc.Arbitrary<FuzzRequest> {
  const valid = minimalRequest(document, op, names)
  const validUrl = new URL(valid.url, 'http://x')
  const pathValue = (name: string, value: string) => fc.oneof(
    { weight: 4, arbitrary: fc.constant(value) },
    { weight: 3, arbitrary: fuzzText.map(encode) },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_ESCAPES) }
  ).map((v) => [name, v] as const)
  const pathParams = op.parameters.filter((p) => p.in === 'path')
  const pathArb = fc.tuple(...pathParams.map((p) => {
    const validValue = String((names as Record<string, string>)[p.name] ?? (p.name === 'key' ? 'github' : 'x'))
    return pathValue(p.name, encode(validValue))
  }))

  const queryParams = op.parameters.filter((p) => p.in === 'query')
  const queryArb = fc.tuple(
    fc.tuple(...queryParams.map((p) => {
      const validValue = validUrl.searchParams.get(p.name)
      return fc.oneof(
        { weight: 4, arbitrary: fc.constant(validValue === null ? [] : [`${p.name}=${encode(validValue)}`]) },
        { weight: 1, arbitrary: fc.constant([]) },
        { weight: 3, arbitrary: fuzzText.map((v) => [`${p.name}=${encode(v)}`]) },
        { weight: 1, arbitrary: fc.constantFrom(...BAD_ESCAPES, ...RAW_NUMBERS).map((v) => [`${p.name}=${v}`]) },
        { weight: 1, arbitrary: fc.constant([`${p.name}=${encode(validValue ?? 'a')}`, `${p.name}=${encode(validValue ?? 'b')}`]) },
        { weight: 1, arbitrary: fc.constant([`${p.name}[]=1`, `${p.name}`]) }
      )
    })),
    fc.option(fc.tuple(fuzzText, fuzzText).map(([k, v]) => `${encode(k)}=${encode(v)}`), { freq: 4 }),
    fc.option(fc.constantFrom('__proto__[polluted]=yes', 'constructor[prototype][x]=1', '__proto__=x', '%ff%fe=%ff%fe', '&&&', '=', '?'), { freq: 4 })
  ).map(([parts, extra, odd]) => [...parts.flat(), ...(extra ? [extra] : []), ...(odd ? [odd] : [])].join('&'))

  const headerParams = op.parameters.filter((p) => p.in === 'header')
  const headersArb = fc.tuple(
    fc.tuple(...headerParams.map((p) => fc.oneof(
      { weight: 3, arbitrary: fc.constant(valid.headers[p.name] === undefined ? [] : [[p.name, valid.headers[p.name]!]]) },
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 3, arbitrary: headerText.map((v) => [[p.name, v]]) }
    ))),
    fc.option(fc.constantFrom(
      'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/json;charset=', 'text/plain',
      'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'APPLICATION/JSON', '', ';', 'application/json; a=b; a=c'
    ), { freq: 5 }),
    fc.option(fc.constantFrom('gzip', 'br', 'identity;q=0', '*;q=0', 'x'.repeat(500)), { freq: 6 }),
    fc.option(headerText, { freq: 6 })
  ).map(([params, contentType, acceptEncoding, requestId]) => {
    const headers: Record<string, string> = Object.fromEntries(params.flat() as Array<[string, string]>)
    if (contentType !== null) headers['content-type'] = contentType
    if (acceptEncoding !== null) headers['accept-encoding'] = acceptEncoding
    if (requestId !== null) headers['x-request-id'] = requestId
    return headers
  })

  const bodyArb: fc.Arbitrary<string | Buffer | undefined> = op.method === 'get'
    ? fc.constant(undefined)
    : op.bodySchema ? bodyArbitrary(valid.payload) : fc.option(bodyArbitrary({}), { freq: 2 }).map((b) => b ?? undefined)

  const teamArb = fc.oneof({ weight: 3, arbitrary: fc.constant(names.team) }, { weight: 1, arbitrary: fuzzText.filter((s) => s.length <= 256) })

  const subArb = fc.oneof({ weight: 4, arbitrary: fc.constant('u_fuzz') }, { weight: 1, arbitrary: fuzzText.filter((s) => s.length >= 1 && s.length <= 256) })

  return fc.record({ path: pathArb, query: queryArb, headers: headersArb, body: bodyArb, team: teamArb, sub: subArb }).map(({ path, query, headers, body, team, sub }) => {
    let url = op.path
    for (const [name, value] of path) url = url.replace(`{${name}}`, value)
    if (path.find(([name]) => name === 'team')) team = team === names.team ? decodeOr(path.find(([name]) => name === 'team')![1], team) : team
    return {
      method: op.method.toUpperCase(),
      url: query ? `${url}?${query}` : url,
      headers: { ...(body !== undefined && headers['content-type'] === undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body === undefined ? {} : { payload: body }),
      team,
      sub
    }
  })
}

/** The team in the path, decoded, so a caller whose claim names it gets past the team check. */
function decodeOr (value: string, fallback: string) {
  try {
    const decoded = decodeURIComponent(value)
    return decoded.length >= 1 && decoded.length <= 256 ? decoded : fallback
  } catch {
    return fallback
  }
}

interface Answer { statusCode: number, headers: Record<string, unknown>, body: string }

eachBackend(t, 'fuzzing every operation of openapi.yaml', async (t, backend) => {
  const numRuns = RUNS[backend]
  t.comment(`[${backend}] fast-check seed ${SEED}, ${numRuns} runs per operation (FUZZ_SEED / FUZZ_RUNS / FUZZ_REAL_RUNS to change)`)
  const s = await build(t, {
    backend,
    listen: true,
    env: {
      HOST_WORKER_TOKEN,
      GITHUB_WEBHOOK_SECRET: 'github-webhook-secret-fuzz',
      VERCEL_WEBHOOK_SECRET: 'vercel-webhook-secret-fuzz',
      SANITY_WEBHOOK_SECRET: 'sanity-webhook-secret-fuzz',
      GITHUB_API_URL: DEAD,
      VERCEL_API_URL: DEAD,
      SANITY_API_URL: 'http://127.0.0.1:9/{projectId}',
      SANITY_MANAGEMENT_API_URL: DEAD,
      SUPABASE_API_URL: DEAD,
      LOG_LEVEL: 'warn'
    }
  })
  const { operations, document } = await loadOperations()
  t.ok(operations.length >= 20, `openapi.yaml lists the operations (${operations.length})`)

  // An action of the project, so /actions/{id} has something to find.
  const linked = await s.app.inject({
    method: 'PUT',
    url: `/api/projects/${PROJECT}/integrations/github`,
    headers: s.as('owner', PROJECT),
    payload: { config: { owner: 'acme', repo: 'web', branch: 'main' }, credentials: { token: 'tok_fuzz' } }
  })
  t.equal(linked.statusCode, 201, 'the project has a github link')
  const names = { projectId: PROJECT, provider: 'github', id: '00000000-0000-4000-8000-000000000000', team: TEAM }

  async function send (op: Operation, request: FuzzRequest): Promise<Answer> {
    const isHost = op.path.startsWith('/api/host/')
    const auth = isHost
      ? `Bearer ${HOST_WORKER_TOKEN}`
      : `Bearer ${s.token({ sub: request.sub, roles: { [PROJECT]: 'owner' }, team: request.team })}`
    const headers = { authorization: auth, ...request.headers }
    if (op.path === '/api/integrations/events') {
      // A valid request opens an endless stream: over real HTTP, read the status, then leave.
      const stream = await openRawStream(`${s.url}${request.url}`, headers)
      stream.close()
      return { statusCode: stream.status, headers: stream.headers, body: stream.body ?? '' }
    }
    const res: LightMyRequestResponse = await s.app.inject({
      method: request.method as 'GET',
      url: request.url,
      headers,
      ...(request.payload === undefined ? {} : { payload: request.payload })
    })
    return { statusCode: res.statusCode, headers: res.headers, body: res.body }
  }

  const failures: string[] = []
  for (const op of operations) {
    await t.test(op.id, async (t) => {
      const seen = new Map<number, number>()
      await fc.assert(
        fc.asyncProperty(requestArbitrary(document, op, names), async (request) => {
          const answer = await send(op, request)
          seen.set(answer.statusCode, (seen.get(answer.statusCode) ?? 0) + 1)
          const problem = answer.statusCode >= 500
            ? `${answer.statusCode} ${answer.body.slice(0, 300)}`
            : answer.statusCode >= 400 ? checkErrorBody(answer) : null
          if (problem) {
            failures.push(`${op.id}: ${problem} for ${JSON.stringify({ ...request, payload: String(request.payload ?? '').slice(0, 300) })}`)
            return false
          }
          return true
        }),
        { seed: SEED, numRuns, endOnFailure: true }
      )
      t.pass(`${op.id}: ${numRuns} requests, statuses ${[...seen].sort(([a], [b]) => a - b).map(([code, n]) => `${code}×${n}`).join(' ')}`)
      if (op.parameters.length > 0 || op.bodySchema) {
        t.ok([...seen.keys()].some((code) => code >= 400), `${op.id}: some generated requests were refused (the fuzzer reached validation)`)
      }
    })
  }
  t.same(failures, [], 'no 5xx and no undocumented error body')

  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was not polluted')
  t.equal(({} as Record<string, unknown>).isAdmin, undefined, 'Object.prototype was not polluted (isAdmin)')
  const health = await s.app.inject({ method: 'GET', url: '/healthz' })
  t.equal(health.statusCode, 200, 'the app still answers /healthz')
  t.same(health.json(), { status: 'ok' }, '/healthz says ok')
  const errors = s.logs.filter((line) => /"level":(50|60)/.test(line))
  t.same(errors.map((line) => line.slice(0, 400)), [], 'nothing was logged at error level')
})

eachBackend(t, 'regressions found by the fuzzer', async (t, backend) => {
  const s = await build(t, { backend, env: { GITHUB_WEBHOOK_SECRET: 'github-webhook-secret-fuzz' } })
  const { document } = await loadOperations()
  // A webhook delivery with an empty or malformed Content-Type was 415 UNSUPPORTED_MEDIA_TYPE,
  // a status the webhook operations did not document (found by seed 20240607: content-type "").
  for (const provider of ['github', 'vercel', 'sanity']) {
    for (const contentType of ['', ';']) {
      const res = await s.app.inject({ method: 'POST', url: `/api/webhooks/${provider}`, headers: { 'content-type': contentType }, payload: '{}' })
      t.equal(res.statusCode, 415, `${provider} webhook, content-type ${JSON.stringify(contentType)}: 415`)
      t.equal(checkErrorBody(res), null, `${provider} webhook: the Error body`)
      t.equal(res.json().code, 'UNSUPPORTED_MEDIA_TYPE', `${provider} webhook: UNSUPPORTED_MEDIA_TYPE`)
    }
    t.ok(document.paths[`/api/webhooks/${provider}`].post.responses['415'], `${provider} webhook: 415 is documented`)
  }

  // A token whose team or sub held U+0000 reached PostgreSQL (which cannot store it) and was a
  // 500: DELETE /api/integrations/rollout/teams/p_fuzz%00 with the team claim "p_fuzz\u0000"
  // (found by seed 20240607). Such claims are now invalid: 401 before anything is read.
  const nulTeam = { authorization: `Bearer ${s.token({ sub: 'u_x', roles: { p_nul: 'owner' }, team: 't\u0000' })}` }
  const nulSub = { authorization: `Bearer ${s.token({ sub: 'u\u0000', roles: { p_nul: 'owner' }, team: 't_nul' })}` }
  const requests = [
    { what: 'DELETE team override, NUL team', method: 'DELETE' as const, url: '/api/integrations/rollout/teams/t%00', headers: nulTeam },
    { what: 'PUT team override, NUL team', method: 'PUT' as const, url: '/api/integrations/rollout/teams/t%00', headers: nulTeam, payload: { enabled: true } },
    { what: 'GET rollout, NUL team', method: 'GET' as const, url: '/api/integrations/rollout?projectId=p_nul', headers: nulTeam },
    { what: 'PUT project override, NUL sub', method: 'PUT' as const, url: '/api/integrations/rollout/projects/p_nul', headers: nulSub, payload: { enabled: true } },
    { what: 'PUT team override, NUL sub', method: 'PUT' as const, url: '/api/integrations/rollout/teams/t_nul', headers: nulSub, payload: { enabled: true } }
  ]
  for (const { what, ...request } of requests) {
    const res = await s.app.inject(request)
    t.equal(res.statusCode, 401, `${what}: 401`)
    t.equal(checkErrorBody(res), null, `${what}: the Error body`)
    t.equal(res.json().code, 'UNAUTHENTICATED', `${what}: UNAUTHENTICATED`)
  }
  const control = await s.app.inject({ method: 'PUT', url: '/api/integrations/rollout/teams/t_nul', headers: { authorization: `Bearer ${s.token({ sub: 'u_x', roles: { p_nul: 'owner' }, team: 't_nul' })}` }, payload: { enabled: true } })
  t.equal(control.statusCode, 201, 'control: the same team override with clean claims is set')
})

eachBackend(t, 'bodies nested deeper than the limit are a 400, not a stack overflow', async (t, backend) => {
  // 5000 levels of params overflowed the stack in the idempotency fingerprint (a 500): found while
  // probing for U+0000, past what the generator above nests.
  const s = await build(t, { backend, env: { GITHUB_API_URL: DEAD, HOST_WORKER_TOKEN } })
  const linked = await s.app.inject({ method: 'PUT', url: `/api/projects/${PROJECT}/integrations/github`, headers: s.as('owner', PROJECT), payload: { config: { owner: 'acme', repo: 'web', branch: 'main' }, credentials: { token: 'tok_deep' } } })
  t.equal(linked.statusCode, 201, 'the project has a github link')
  const nest = (levels: number, leaf: unknown = 'main') => {
    let text = JSON.stringify(leaf)
    for (let i = 0; i < levels; i++) text = i % 2 === 0 ? `[${text}]` : `{"x":${text}}`
    return text
  }
  const cases = [
    { what: 'action params 5000 levels deep', url: '/api/integrations/actions', method: 'POST' as const, payload: `{"projectId":"${PROJECT}","provider":"github","action":"push","params":{"branch":${nest(5000)}}}`, key: true },
    { what: 'action params 65 levels deep', url: '/api/integrations/actions', method: 'POST' as const, payload: `{"projectId":"${PROJECT}","provider":"github","action":"push","params":{"branch":${nest(MAX_DEPTH)}}}`, key: true },
    { what: 'a worker\'s progress 5000 levels deep', url: '/api/host/actions/00000000-0000-4000-8000-000000000000/progress', method: 'POST' as const, payload: `{"workerId":"w_deep","progress":{"x":${nest(5000, {})}}}`, key: false, host: true }
  ]
  for (const { what, key, host, ...request } of cases) {
    const auth = host ? { authorization: `Bearer ${HOST_WORKER_TOKEN}` } : s.as('owner', PROJECT)
    const res = await s.app.inject({ ...request, headers: { ...auth, 'content-type': 'application/json', ...(key ? { 'idempotency-key': crypto.randomUUID() } : {}) } })
    t.equal(res.statusCode, 400, `${what}: 400`)
    t.equal(checkErrorBody(res), null, `${what}: the Error body`)
    t.match(res.json(), { code: 'VALIDATION_FAILED', message: new RegExp(`nest deeper than ${MAX_DEPTH} levels`) }, `${what}: VALIDATION_FAILED, saying why`)
  }
  const shallow = await s.app.inject({ method: 'POST', url: '/api/integrations/actions', headers: { ...s.as('owner', PROJECT), 'idempotency-key': crypto.randomUUID() }, payload: { projectId: PROJECT, provider: 'github', action: 'sync' } })
  t.equal(shallow.statusCode, 202, 'control: a plain action is still accepted')
  const links = await s.app.inject({ method: 'GET', url: `/api/projects/${PROJECT}/integrations`, headers: s.as('owner', PROJECT) })
  t.match(links.json(), { items: [{ key: 'github', config: { owner: 'acme' } }] }, 'the stored link is unchanged')
  t.same(s.logs.filter((line) => /"level":(50|60)/.test(line)).map((line) => line.slice(0, 300)), [], 'nothing was logged at error level')
})
