import t from 'tap'
import { setBounded } from '../../src/lib/bounded-map.js'

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
