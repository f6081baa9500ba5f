import t from 'tap'
import { createHash, createHmac } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import { readNetlifyDelivery, verifyNetlifySignature } from '../../adapters/netlify/webhook.js'

/**
 * Netlify deploy notifications: `X-Webhook-Signature` is a JWT, HS256 with the notification's
 * JWS secret, claims `iss: "netlify"` and `sha256` (hex SHA-256 of the raw body). Tokens are
 * made here with fast-jwt, an independent signer, and by hand for what no library would sign.
 */

const SECRET = 'netlify-jws-secret-1'
const NOW = Date.parse('2026-11-25T14:30:00.000Z')
const body = Buffer.from(JSON.stringify({
  id: '5ebc34bf4fea0b01f02efa3a',
  site_id: 'fa4dd95a-994e-4f89-8a7a-2d9e9fc36a32',
  state: 'ready',
  context: 'production',
  updated_at: '2026-11-25T14:29:00.000Z'
}))
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const sign = (claims: Record<string, unknown>, key = SECRET) => createSigner({ key, algorithm: 'HS256', noTimestamp: true })(claims)

/** A compact JWS built by hand: any header, any claims, HMAC-SHA256 with `key` (or no signature). */
function handMade (header: Record<string, unknown>, claims: Record<string, unknown>, key: string | null = SECRET) {
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const input = `${encode(header)}.${encode(claims)}`
  return `${input}.${key === null ? '' : createHmac('sha256', key).update(input).digest('base64url')}`
}

t.test('accepts Netlify\'s signature of the raw body', async (t) => {
  const token = sign({ iss: 'netlify', sha256: sha256(body) })
  t.ok(verifyNetlifySignature(SECRET, body, token, NOW))
  t.ok(verifyNetlifySignature(SECRET, body, `  ${token} `, NOW), 'surrounding spaces are not part of the token')
  t.ok(verifyNetlifySignature(SECRET, body, sign({ iss: 'netlify', sha256: sha256(body).toUpperCase() }), NOW), 'hex in either case')
  t.ok(verifyNetlifySignature(SECRET, body, sign({ iss: 'netlify', sha256: sha256(body), exp: NOW / 1000 + 60 }), NOW), 'an exp still ahead')
  t.ok(verifyNetlifySignature(SECRET, body, handMade({ alg: 'HS256' }, { iss: 'netlify', sha256: sha256(body) }), NOW), 'no typ')
})

t.test('refuses a missing or malformed signature', async (t) => {
  t.notOk(verifyNetlifySignature(SECRET, body, undefined, NOW), 'missing')
  t.notOk(verifyNetlifySignature(SECRET, body, '', NOW), 'empty')
  t.notOk(verifyNetlifySignature(SECRET, body, 'not-a-jwt', NOW), 'one segment')
  t.notOk(verifyNetlifySignature(SECRET, body, 'a.b', NOW), 'two segments')
  t.notOk(verifyNetlifySignature(SECRET, body, 'a.b.c.d', NOW), 'four segments')
  t.notOk(verifyNetlifySignature(SECRET, body, 'e30.e30.!!!', NOW), 'not base64url')
  t.notOk(verifyNetlifySignature(SECRET, body, 'bm90IGpzb24.e30.c2ln', NOW), 'a header that is not JSON')
  const good = sign({ iss: 'netlify', sha256: sha256(body) })
  t.notOk(verifyNetlifySignature(SECRET, body, good.split('.').slice(0, 2).join('.') + '.', NOW), 'no signature segment')
  t.notOk(verifyNetlifySignature('', body, good, NOW), 'no secret configured')
})

t.test('refuses any algorithm but HS256', async (t) => {
  const claims = { iss: 'netlify', sha256: sha256(body) }
  t.notOk(verifyNetlifySignature(SECRET, body, handMade({ alg: 'none', typ: 'JWT' }, claims, null), NOW), 'alg none, unsigned')
  t.notOk(verifyNetlifySignature(SECRET, body, handMade({ alg: 'none', typ: 'JWT' }, claims), NOW), 'alg none with an HMAC anyway')
  t.notOk(verifyNetlifySignature(SECRET, body, createSigner({ key: SECRET, algorithm: 'HS512', noTimestamp: true })(claims), NOW), 'HS512')
  t.notOk(verifyNetlifySignature(SECRET, body, handMade({ alg: 'RS256', typ: 'JWT' }, claims), NOW), 'RS256 "keyed" with the secret')
  t.notOk(verifyNetlifySignature(SECRET, body, handMade({ typ: 'JWT' }, claims), NOW), 'no alg')
  t.notOk(verifyNetlifySignature(SECRET, body, handMade({ alg: 'HS256', crit: ['b64'], b64: false }, claims), NOW), 'critical extensions are not understood')
  t.notOk(verifyNetlifySignature(SECRET, body, handMade({ alg: 'HS256', typ: 'JOSE+JSON' }, claims), NOW), 'another typ')
})

t.test('refuses a bad signature, issuer, body hash or expiry', async (t) => {
  const claims = { iss: 'netlify', sha256: sha256(body) }
  t.notOk(verifyNetlifySignature(SECRET, body, sign(claims, 'another-secret'), NOW), 'another secret')
  const [h, c, s] = sign(claims).split('.') as [string, string, string]
  const flipped = s.slice(0, -2) + (s.at(-2) === 'A' ? 'B' : 'A') + s.at(-1)
  t.notOk(verifyNetlifySignature(SECRET, body, `${h}.${c}.${flipped}`, NOW), 'a changed signature')
  // 32 bytes in 43 characters: the last one carries 2 unused bits, so a decoder would accept 4 spellings.
  const last = 'AEIMQUYcgkosw048'.indexOf(s.at(-1)!)
  t.ok(last >= 0, 'a canonical last character')
  const respelled = s.slice(0, -1) + 'BFJNRVZdhlptx159'[last]
  t.strictSame(Buffer.from(respelled, 'base64url'), Buffer.from(s, 'base64url'), 'the same bytes')
  t.notOk(verifyNetlifySignature(SECRET, body, `${h}.${c}.${respelled}`, NOW), 'another spelling of the same signature')
  const forged = Buffer.from(JSON.stringify({ iss: 'netlify', sha256: sha256(Buffer.from('{}')) })).toString('base64url')
  t.notOk(verifyNetlifySignature(SECRET, Buffer.from('{}'), `${h}.${forged}.${s}`, NOW), 'claims swapped under the old signature')
  t.notOk(verifyNetlifySignature(SECRET, Buffer.from(body.toString().replace('ready', 'error')), sign(claims), NOW), 'another body')
  t.notOk(verifyNetlifySignature(SECRET, Buffer.concat([body, Buffer.from(' ')]), sign(claims), NOW), 'one byte more')
  t.notOk(verifyNetlifySignature(SECRET, body, sign({ iss: 'vercel', sha256: sha256(body) }), NOW), 'another issuer')
  t.notOk(verifyNetlifySignature(SECRET, body, sign({ sha256: sha256(body) }), NOW), 'no issuer')
  t.notOk(verifyNetlifySignature(SECRET, body, sign({ iss: 'netlify' }), NOW), 'no body hash')
  t.notOk(verifyNetlifySignature(SECRET, body, sign({ iss: 'netlify', sha256: 42 }), NOW), 'a body hash that is not a string')
  t.notOk(verifyNetlifySignature(SECRET, body, sign({ iss: 'netlify', sha256: createHash('sha1').update(body).digest('hex') }), NOW), 'a SHA-1 of the body')
  t.notOk(verifyNetlifySignature(SECRET, body, sign({ ...claims, exp: NOW / 1000 - 1 }), NOW), 'expired')
  t.notOk(verifyNetlifySignature(SECRET, body, handMade({ alg: 'HS256' }, { ...claims, exp: 'tomorrow' }), NOW), 'an exp that is not a number')
})

t.test('a delivery names its site, its event and an id a redelivery repeats', async (t) => {
  const deploy = JSON.parse(body.toString()) as Record<string, unknown>
  const read = readNetlifyDelivery({ 'x-netlify-event': 'deploy_created' }, deploy)
  t.strictSame(read, {
    id: '5ebc34bf4fea0b01f02efa3a:ready:2026-11-25T14:29:00.000Z:deploy_created',
    match: { siteId: 'fa4dd95a-994e-4f89-8a7a-2d9e9fc36a32' },
    event: 'deploy_created'
  })
  t.strictSame(readNetlifyDelivery({ 'x-netlify-event': 'deploy_created' }, deploy), read, 'the same notification again: the same id')
  t.equal(readNetlifyDelivery({}, deploy).event, 'deploy_ready', 'without the event header: from the state')
  t.not(readNetlifyDelivery({}, { ...deploy, state: 'error', updated_at: '2026-11-25T14:31:00.000Z' }).id, readNetlifyDelivery({}, deploy).id, 'a new state is a new notification')
  t.strictSame(readNetlifyDelivery({}, {}), { id: undefined, match: undefined, event: 'unknown' }, 'a body without a deploy matches nothing')
  t.equal(readNetlifyDelivery({}, { ...deploy, site_id: 7 }).match, undefined, 'a site id that is not a string')
})
