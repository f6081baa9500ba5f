import t from 'tap'
import { deltaBy, lookupDelta, lookupsOf, parseSamples } from '../../bench/lib/metrics.js'
import { build } from '../helper.js'

// The benchmarks' figures come from these: a wrong sum would publish a wrong cache hit rate.

const page = (hit: number, timeouts: number) => `# HELP status_cache_lookups_total Status lookups
# TYPE status_cache_lookups_total counter
status_cache_lookups_total{provider="github",result="hit"} ${hit}
status_cache_lookups_total{provider="vercel",result="hit"} 1
status_cache_lookups_total{provider="github",result="miss"} 2
status_cache_lookups_total_extra{result="hit"} 100
adapter_timeouts_total{provider="github"} ${timeouts}
adapter_call_duration_seconds_bucket{le="0.1",provider="github",outcome="ok"} 9
adapter_call_duration_seconds_count{provider="github",outcome="ok"} 10
adapter_call_duration_seconds_count{provider="vercel",outcome="timeout"} ${timeouts}
sse_streams_closed_total{reason="client"} 4
sse_streams_closed_total{reason="slow"} 1
`

const NAMES = ['status_cache_lookups_total', 'adapter_timeouts_total', 'adapter_call_duration_seconds_count', 'sse_streams_closed_total']

t.test('samples by name and labels; deltas grouped by a label', async (t) => {
  const before = parseSamples(page(3, 0), NAMES)
  const after = parseSamples(page(10, 2), NAMES)
  t.equal(before['status_cache_lookups_total{provider="github",result="hit"}'], 3)
  t.notOk(Object.keys(before).some((key) => key.startsWith('status_cache_lookups_total_extra') || key.includes('_bucket')), 'only the named series')
  t.same(lookupsOf(after), { hit: 11, miss: 2 }, 'lookups summed by result over providers')
  t.same(lookupDelta(lookupsOf(before), lookupsOf(after)), { hit: 7, stale: 0, miss: 0, total: 7, hitRate: 1 })
  t.same(deltaBy(before, after, 'adapter_timeouts_total'), { '': 2 }, 'no label: one sum')
  t.same(deltaBy(before, after, 'adapter_call_duration_seconds_count'), { '': 2 })
  t.same(deltaBy({}, after, 'sse_streams_closed_total', 'reason'), { client: 4, slow: 1 })
})

t.test('the app\'s own /metrics page parses', async (t) => {
  const s = await build(t)
  await s.app.inject({ method: 'GET', url: '/api/integrations/status?projectId=p_metrics', headers: s.as('owner', 'p_metrics') })
  const res = await s.app.inject({ method: 'GET', url: '/metrics' })
  const samples = parseSamples(res.body, ['http_request_duration_seconds_count'])
  t.ok(Object.keys(samples).some((key) => key.includes('route="/api/integrations/status"')), 'the status route\'s request count is read')
})
