import t from 'tap'
import { cacheTtlMs } from '../../src/auth/jwks-keys.js'
import { claimAt } from '../../src/auth/token-verifier.js'

t.test('claimAt: names, dot paths and names holding dots', async (t) => {
  const payload = {
    roles: { p_1: 'owner' },
    realm: { access: { projects: { p_2: 'viewer' } } },
    'https://acme.example/claims': { projects: { p_3: 'admin' } },
    'https://acme.example/roles': { p_4: 'editor' },
    list: [{ a: 1 }]
  }
  t.same(claimAt(payload, 'roles'), { p_1: 'owner' })
  t.same(claimAt(payload, 'realm.access.projects'), { p_2: 'viewer' })
  t.same(claimAt(payload, 'https://acme.example/claims.projects'), { p_3: 'admin' })
  t.same(claimAt(payload, 'https://acme.example/roles'), { p_4: 'editor' })
  t.equal(claimAt(payload, 'realm.missing'), undefined)
  t.equal(claimAt(payload, 'list.0.a'), undefined, 'arrays are not walked')
  t.equal(claimAt(payload, 'constructor'), undefined, 'no prototype members')
  t.equal(claimAt(payload, 'roles.__proto__'), undefined)
})

t.test('cacheTtlMs: Cache-Control and Expires within the floor and the ceiling', async (t) => {
  const ttl = (headers: Record<string, string>) => cacheTtlMs(new Headers(headers), 60_000, 3_600_000)
  t.equal(ttl({}), 60_000, 'no header: the floor')
  t.equal(ttl({ 'cache-control': 'public, max-age=600' }), 600_000, 'max-age')
  t.equal(ttl({ 'cache-control': 'max-age=600', age: '100' }), 500_000, 'max-age minus Age')
  t.equal(ttl({ 'cache-control': 'max-age=5' }), 60_000, 'below the floor: the floor')
  t.equal(ttl({ 'cache-control': 'max-age=86400' }), 3_600_000, 'above the ceiling: the ceiling')
  t.equal(ttl({ 'cache-control': 'no-store' }), 60_000, 'no-store: the floor')
  t.equal(ttl({ 'cache-control': 'no-cache, max-age=600' }), 60_000, 'no-cache: the floor')
  t.equal(ttl({ 'cache-control': 's-maxage=900' }), 60_000, 's-maxage is for shared caches, not this one')
  t.equal(ttl({ date: 'Mon, 07 Dec 2026 10:00:00 GMT', expires: 'Mon, 07 Dec 2026 10:20:00 GMT' }), 1_200_000, 'Expires minus Date')
  t.equal(ttl({ expires: 'garbage' }), 60_000, 'a bad Expires: the floor')
  t.equal(ttl({ 'cache-control': 'max-age=abc' }), 60_000, 'a bad max-age: the floor')
})
