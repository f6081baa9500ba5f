import t from 'tap'
import { RecencyMap, setBounded } from '../../src/lib/bounded-map.js'

t.test('the oldest written entry leaves first once the map is full', async (t) => {
  const map = new Map<string, number>()
  for (const [i, key] of ['a', 'b', 'c'].entries()) setBounded(map, key, i, 3)
  setBounded(map, 'd', 3, 3)
  t.same([...map.keys()], ['b', 'c', 'd'], 'a, the oldest, left')
})

t.test('writing a key again makes it the newest, without evicting anything', async (t) => {
  const map = new Map<string, number>([['a', 0], ['b', 1], ['c', 2]])
  setBounded(map, 'a', 10, 3)
  t.same([...map.entries()], [['b', 1], ['c', 2], ['a', 10]], 'full, yet nothing left: a was replaced')
  setBounded(map, 'd', 3, 3)
  t.same([...map.keys()], ['c', 'a', 'd'], 'b is now the oldest')
})

t.test('RecencyMap: full, the least recently used leaves first', async (t) => {
  const map = new RecencyMap<string, number>(3)
  map.set('a', 1)
  map.set('b', 2)
  map.set('c', 3)
  t.equal(map.get('a'), 1, 'a used: it was the oldest, so it moves')
  map.set('d', 4)
  t.equal(map.get('b'), undefined, 'b, now the oldest, left')
  t.same([map.get('a'), map.get('c'), map.get('d')], [1, 3, 4], 'the others stay')
  t.equal(map.size, 3, 'never more than the bound')
})

t.test('RecencyMap: a hit on one of the newer half does not move it, and it still outlives the older half', async (t) => {
  const map = new RecencyMap<number, number>(8)
  for (let i = 0; i < 8; i++) map.set(i, i)
  // 7 is the newest: no write happened since, so its hit costs no move.
  t.equal(map.get(7), 7)
  // 5 is among the newest half: not moved, yet four older entries go before it.
  t.equal(map.get(5), 5)
  for (let i = 8; i < 12; i++) map.set(i, i)
  t.same([0, 1, 2, 3].map((k) => map.get(k)), [undefined, undefined, undefined, undefined], 'the four oldest left')
  t.equal(map.get(5), 5, '5 is still held')
  t.equal(map.size, 8)
})

t.test('RecencyMap: writing a key again replaces it without evicting; a bound of 0 holds nothing', async (t) => {
  const map = new RecencyMap<string, number>(2)
  map.set('a', 1)
  map.set('b', 2)
  map.set('a', 10)
  t.same([map.get('a'), map.get('b'), map.size], [10, 2, 2])
  t.ok(map.delete('a'))
  t.equal(map.get('a'), undefined)
  const off = new RecencyMap<string, number>(0)
  off.set('a', 1)
  t.equal(off.size, 0)
})
