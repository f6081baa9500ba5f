import t from 'tap'
import { createTokenCache, readonlyDate } from '../../src/auth/token-cache.js'

/**
 * The verified-token cache on its own, with a clock and a key-set generation the test moves: an
 * entry is served only before its token's exp and under the generation it was verified with, the
 * least recently used goes first when full, and size 0 turns it off.
 */

function setup (maxEntries = 3) {
  const clock = { now: 1_000_000, generation: 1 }
  const cache = createTokenCache<string>({ maxEntries, generation: () => clock.generation, now: () => clock.now })
  return { clock, cache }
}

t.test('served until the token expires, never at or after exp', async (t) => {
  const { clock, cache } = setup()
  cache.set('Bearer a', 'alice', clock.now + 5_000, clock.generation)
  t.equal(cache.get('Bearer a'), 'alice', 'served before exp')
  clock.now += 4_999
  t.equal(cache.get('Bearer a'), 'alice', 'served 1 ms before exp')
  clock.now += 1
  t.equal(cache.get('Bearer a'), undefined, 'not served at exp')
  t.equal(cache.size, 0, 'and dropped')
  cache.set('Bearer b', 'bob', clock.now - 1, clock.generation)
  t.equal(cache.get('Bearer b'), undefined, 'an already expired token is not stored')
})

t.test('a new key set generation (a JWKS refetch that changed it) drops the entries verified before', async (t) => {
  const { clock, cache } = setup()
  cache.set('Bearer a', 'alice', clock.now + 60_000, clock.generation)
  clock.generation = 2
  t.equal(cache.get('Bearer a'), undefined, 'not served under the new generation')
  // Verified while the set changed under it: stored with the generation read before verifying.
  cache.set('Bearer b', 'bob', clock.now + 60_000, 1)
  t.equal(cache.get('Bearer b'), undefined, 'a verification that raced a refetch is not served')
  cache.set('Bearer c', 'carol', clock.now + 60_000, 2)
  t.equal(cache.get('Bearer c'), 'carol', 'verified under the current generation: served')
})

t.test('bounded: the least recently used entry goes first', async (t) => {
  const { clock, cache } = setup(3)
  const exp = clock.now + 60_000
  for (const key of ['a', 'b', 'c']) cache.set(key, key.toUpperCase(), exp, 1)
  t.equal(cache.get('a'), 'A', 'a used again: b is now the oldest')
  cache.set('d', 'D', exp, 1)
  t.equal(cache.size, 3, 'never more than maxEntries')
  t.equal(cache.get('b'), undefined, 'b evicted')
  t.same(['a', 'c', 'd'].map((k) => cache.get(k)), ['A', 'C', 'D'], 'the others kept')
  for (let i = 0; i < 1000; i++) cache.set(`k${i}`, 'x', exp, 1)
  t.equal(cache.size, 3, 'still 3 after 1,000 more tokens')
})

t.test('size 0: nothing is remembered', async (t) => {
  const { clock, cache } = setup(0)
  cache.set('Bearer a', 'alice', clock.now + 60_000, 1)
  t.equal(cache.get('Bearer a'), undefined)
  t.equal(cache.size, 0)
})

t.test('readonlyDate: the shared expiry cannot be changed', async (t) => {
  const date = readonlyDate(Date.UTC(2030, 0, 1))
  t.ok(date instanceof Date, 'still a Date')
  t.equal(date.toISOString(), '2030-01-01T00:00:00.000Z', 'reads as one')
  t.throws(() => date.setTime(0), TypeError, 'setTime throws')
  t.throws(() => date.setUTCFullYear(1999), TypeError, 'setUTCFullYear throws')
  t.equal(date.getTime(), Date.UTC(2030, 0, 1), 'unchanged')
  t.ok(Object.isFrozen(date), 'frozen')
})

t.test('two credentials that end alike are never mistaken for each other', async (t) => {
  const { clock, cache } = setup()
  const tail = '.' + 's'.repeat(40)
  const alice = `Bearer header.alice${tail}`
  const mallory = `Bearer header.mallory${tail}`
  cache.set(alice, 'alice', clock.now + 60_000, 1)
  t.equal(cache.get(mallory), undefined, 'the same last characters, another credential: not alice')
  t.equal(cache.get(alice), 'alice', 'alice is still served')
  cache.set(mallory, 'mallory', clock.now + 60_000, 1)
  t.equal(cache.get(mallory), 'mallory')
  t.equal(cache.get(alice), undefined, 'they take turns in one slot: alice is verified again next time')
})
