import t from 'tap'
import { negotiateCoding } from '../../src/lib/accept-encoding.js'

t.test('Accept-Encoding: q-values, preference at equal q, identity as the last resort', async (t) => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, br', 'br'],
    ['BR;Q=0.9, GZIP', 'gzip'],
    ['gzip;q=0.5, br;q=0.4', 'gzip'],
    ['br;q=0', 'identity'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['identity;q=0, gzip;q=0.1', 'gzip'],
    ['identity;q=1, gzip;q=0.5', 'identity'],
    ['*', 'br'],
    ['*;q=0', 'identity'],
    ['*;q=0, gzip', 'gzip'],
    ['*;q=0.2, br;q=0', 'gzip'],
    ['deflate', 'identity'],
    ['gzip;q=abc, br;q=2', 'identity'],
    [' , ;q=1, gzip ; q=0.7 ', 'gzip']
  ]
  for (const [header, expected] of cases) {
    t.equal(negotiateCoding(header), expected, `${JSON.stringify(header)} → ${expected}`)
    t.equal(negotiateCoding(header), expected, `${JSON.stringify(header)} again (remembered)`)
  }
})
