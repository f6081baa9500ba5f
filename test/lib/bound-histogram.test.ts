import t from 'tap'
import { Histogram, Registry } from 'prom-client'
import { BoundHistogram } from '../../src/lib/bound-histogram.js'

const buckets = [0.005, 0.01, 0.1, 1]
const observations: Array<[string, number, number]> = [
  ['GET', 200, 0.001], ['GET', 200, 0.005], ['GET', 200, 0.0051], ['GET', 200, 2],
  ['GET', 304, 0.02], ['POST', 201, 0.5], ['POST', 201, 1]
]

t.test('writes exactly what prom-client\'s Histogram writes for the same observations', async (t) => {
  const ours = new Registry()
  const theirs = new Registry()
  const bound = new BoundHistogram({ name: 'd_seconds', help: 'h', labelNames: ['method', 'status_code'] as const, buckets, registers: [ours] })
  const reference = new Histogram({ name: 'd_seconds', help: 'h', labelNames: ['method', 'status_code'] as const, buckets, registers: [theirs] })
  for (const [method, status, value] of observations) {
    bound.series({ method, status_code: status }).observe(value)
    reference.labels({ method, status_code: status }).observe(value)
  }
  t.equal(await ours.metrics(), await theirs.metrics())
  t.match(await ours.metrics(), /d_seconds_bucket\{le="0.005",method="GET",status_code="200"\} 2/, 'the bound is inclusive (le)')
})

t.test('series are bound once per label set; reset zeroes them and they keep counting', async (t) => {
  const registry = new Registry()
  const bound = new BoundHistogram({ name: 'r_seconds', help: 'h', labelNames: ['route'] as const, buckets, registers: [registry] })
  const a = bound.series({ route: '/a' })
  t.equal(bound.series({ route: '/a' }), a, 'the same series for the same labels')
  a.observe(0.2)
  registry.resetMetrics()
  t.match(await registry.metrics(), /r_seconds_count\{route="\/a"\} 0/)
  a.observe(0.2)
  t.match(await registry.metrics(), /r_seconds_count\{route="\/a"\} 1/)
  t.match(await registry.metrics(), /r_seconds_bucket\{le="0.1",route="\/a"\} 0\nr_seconds_bucket\{le="1",route="\/a"\} 1/)
})
