import t from 'tap'
import { randomBytes } from 'node:crypto'
import { createCredentialsCipher } from '../../src/lib/credentials-cipher.js'

const cipher = createCredentialsCipher(randomBytes(32))

t.test('round trip, with a fresh IV each time', async (t) => {
  const secret = { token: 'tok_123', databaseUrl: 'postgres://u:p@h/d' }
  const a = cipher.encrypt(secret, 'p1/github')
  const b = cipher.encrypt(secret, 'p1/github')
  t.not(a, b, 'two encryptions differ')
  t.match(a, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/)
  t.notMatch(a, 'tok_123')
  t.same(cipher.decrypt(a, 'p1/github'), secret)
})

t.test('tampering, another row or another key fails', async (t) => {
  const sealed = cipher.encrypt({ token: 'x' }, 'p1/github')
  t.throws(() => cipher.decrypt(sealed, 'p2/github'), 'other row identity')
  const parts = sealed.split('.')
  const body = Buffer.from(parts[3]!, 'base64url')
  body[0]! ^= 1
  t.throws(() => cipher.decrypt([parts[0], parts[1], parts[2], body.toString('base64url')].join('.'), 'p1/github'), 'flipped bit')
  t.throws(() => createCredentialsCipher(randomBytes(32)).decrypt(sealed, 'p1/github'), 'other key')
  t.throws(() => cipher.decrypt('v0.a.b.c', 'p1/github'), /unrecognised/)
  t.throws(() => createCredentialsCipher(randomBytes(16)), /32 bytes/)
})

t.test('fingerprints are stable, short and keyed', async (t) => {
  t.equal(cipher.fingerprint('abc'), cipher.fingerprint('abc'))
  t.not(cipher.fingerprint('abc'), cipher.fingerprint('abd'))
  t.not(cipher.fingerprint('abc'), createCredentialsCipher(randomBytes(32)).fingerprint('abc'), 'depends on the key')
  t.match(cipher.fingerprint('abc'), /^hmac-sha256:[0-9a-f]{12}$/)
})
