import t from 'tap'
import { settledWithin } from '../../src/lib/settled-within.js'

t.test('true once every promise settled, rejections included', async (t) => {
  t.equal(await settledWithin([Promise.resolve(1), Promise.reject(new Error('no'))], 60_000), true)
  t.equal(await settledWithin([], 60_000), true, 'nothing to wait for')
})

t.test('false when one never settles: the wait ends anyway', async (t) => {
  t.equal(await settledWithin([Promise.resolve(1), new Promise(() => {})], 10), false)
})
