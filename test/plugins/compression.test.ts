import t from 'tap'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { build, TEST_ORIGIN } from '../helper.js'
import { statusApp } from '../support/status-app.js'
import { post, settled } from '../support/actions.js'

/**
 * Compression where it pays (@fastify/compress, opt-in per route) and @fastify/etag on
 * openapi.json; small and per-request answers left alone; Vary appended, never overwritten.
 */

t.setTimeout(300_000)

const decode = (encoding: string | undefined, body: Buffer) =>
  encoding === 'br' ? brotliDecompressSync(body) : encoding === 'gzip' ? gunzipSync(body) : body

t.test('openapi.json: gzip and brotli decode to the same document; If-None-Match answers 304', async (t) => {
  const s = await build(t)
  const plain = await s.app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(plain.statusCode, 200)
  t.notOk(plain.headers['content-encoding'], 'no Accept-Encoding: identity')
  const document = plain.json()
  t.equal(document.openapi, '3.1.0', 'the OpenAPI document')
  for (const encoding of ['gzip', 'br']) {
    const res = await s.app.inject({ method: 'GET', url: '/openapi.json', headers: { 'accept-encoding': encoding } })
    t.equal(res.headers['content-encoding'], encoding, `${encoding}: compressed`)
    t.match(String(res.headers.vary), /accept-encoding/i, `${encoding}: Vary: Accept-Encoding`)
    t.ok(res.rawPayload.length < plain.rawPayload.length / 3, `${encoding}: ${res.rawPayload.length} bytes instead of ${plain.rawPayload.length}`)
    t.same(JSON.parse(decode(encoding, res.rawPayload).toString('utf8')), document, `${encoding}: decodes to the same JSON`)
  }
  const etag = plain.headers.etag
  t.match(String(etag), /^W\/".+"$/, 'a weak ETag from @fastify/etag')
  const again = await s.app.inject({ method: 'GET', url: '/openapi.json', headers: { 'if-none-match': String(etag) } })
  t.equal(again.statusCode, 304, 'If-None-Match with it: 304')
  t.equal(again.rawPayload.length, 0, 'without a body')
  const zipped = await s.app.inject({ method: 'GET', url: '/openapi.json', headers: { 'if-none-match': String(etag), 'accept-encoding': 'gzip' } })
  t.equal(zipped.statusCode, 304, 'the same ETag holds for the compressed variant (weak)')
  const stale = await s.app.inject({ method: 'GET', url: '/openapi.json', headers: { 'if-none-match': 'W/"something-else"' } })
  t.equal(stale.statusCode, 200, 'another ETag: the document')
})

t.test('the actions list: compressed when large, the same JSON once decoded; Vary keeps Origin', async (t) => {
  const s = await statusApp(t)
  await s.link('p_zip', 'github')
  for (let i = 0; i < 6; i++) {
    // One user may start only a few actions a minute (rate limit): six users, one action each.
    const accepted = await post(s, { projectId: 'p_zip', provider: 'github', action: 'sync' }, { sub: `u_zip_${i}` })
    t.equal(accepted.statusCode, 202, `action ${i + 1} accepted`)
    await settled(s, accepted.json<{ id: string }>().id)
  }
  const url = '/api/integrations/actions?projectId=p_zip&limit=100'
  const headers = s.as('owner', 'p_zip')
  const plain = await s.app.inject({ method: 'GET', url, headers })
  t.equal(plain.statusCode, 200)
  t.equal(plain.json().items.length, 6, 'six actions listed')
  t.ok(plain.rawPayload.length > 1024, `large enough to compress (${plain.rawPayload.length} bytes)`)
  for (const encoding of ['gzip', 'br']) {
    const res = await s.app.inject({ method: 'GET', url, headers: { ...headers, 'accept-encoding': encoding, origin: TEST_ORIGIN } })
    t.equal(res.headers['content-encoding'], encoding, `${encoding}: compressed`)
    t.same(JSON.parse(decode(encoding, res.rawPayload).toString('utf8')), plain.json(), `${encoding}: decodes to the same JSON`)
    const vary = String(res.headers.vary).toLowerCase().split(/\s*,\s*/)
    t.ok(vary.includes('origin') && vary.includes('accept-encoding'), `${encoding}: Vary has both Origin and Accept-Encoding (${res.headers.vary})`)
    t.equal(res.headers['access-control-allow-origin'], TEST_ORIGIN, `${encoding}: the CORS grant is kept`)
  }
})

t.test('routes that did not opt in are never compressed by the plugin, and get no CORS grant without an Origin', async (t) => {
  const s = await build(t)
  const headers = { authorization: `Bearer ${s.token({ sub: 'u_zip', roles: { p_zip: 'owner' } })}`, 'accept-encoding': 'gzip, br' }
  const session = await s.app.inject({ method: 'GET', url: '/api/auth/session', headers })
  t.equal(session.statusCode, 200)
  t.notOk(session.headers['content-encoding'], 'the session answer is not compressed')
  t.equal(session.headers.vary, 'Origin', 'only Vary: Origin (origins are allowed, so an answer without a grant must not be reused for one with it); nothing was compressed')
  t.notOk(session.headers['access-control-allow-origin'], 'no CORS headers without an Origin')
  t.equal(session.headers['x-content-type-options'], 'nosniff', 'the security headers are there')
  t.match(String(session.headers['x-request-id']), /^[\w.:-]+$/, 'and the request id')
  const foreign = await s.app.inject({ method: 'GET', url: '/api/auth/session', headers: { ...headers, origin: 'https://evil.example' } })
  t.equal(foreign.headers.vary, 'Origin', 'a foreign Origin: Vary: Origin (the answer depends on it)…')
  t.notOk(foreign.headers['access-control-allow-origin'], '…and no grant')
  t.notOk(foreign.headers['access-control-allow-credentials'], '…nor credentials')
  const health = await s.app.inject({ method: 'GET', url: '/healthz', headers: { 'accept-encoding': 'gzip' } })
  t.notOk(health.headers['content-encoding'], 'health answers are not compressed')
})
