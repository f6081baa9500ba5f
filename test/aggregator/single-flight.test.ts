import t from 'tap'
import { eachBackend, REAL_BACKENDS_PROBLEM, realOnly } from '../helper.js'
import { statusApp } from '../support/status-app.js'
import { startSimulator } from '../simulator/simulator.js'
import { PROVIDER_KEYS as KEYS } from '../../adapters/index.js'
import type { Provider } from '../simulator/simulator.js'

const PROVIDER_KEYS = KEYS as Provider[]
import type { StatusEnvelope } from '../../src/schemas/integration-status.js'

// The slow provider keeps the first check running while the other 49 requests arrive.
const SLOW = { latencyMs: 150 }

eachBackend(t, '50 concurrent requests for a cold project call each provider once', async (t, backend) => {
  const s = await statusApp(t, { backend })
  for (const key of PROVIDER_KEYS) await s.link('p_cold', key, 'healthy', SLOW)
  const responses = await Promise.all(Array.from({ length: 50 }, () => s.status('p_cold')))
  t.ok(responses.every((r) => r.statusCode === 200), 'all answered 200')
  const hashes = new Set(responses.map((r) => r.json<StatusEnvelope>().hash))
  t.equal(hashes.size, 1, 'all saw the same status')
  t.same(responses[0]!.json<StatusEnvelope>().items.map((i) => i.status), PROVIDER_KEYS.map(() => 'connected'))
  // GitHub's check makes three calls, Vercel's two, Sanity's two, Supabase's two, Netlify's two: once each.
  t.equal(s.sim.callCount({ provider: 'github', path: '/user' }), 1)
  t.equal(s.sim.callCount({ provider: 'vercel', path: '/v6/deployments' }), 2)
  t.equal(s.sim.callCount({ provider: 'sanity', path: /\/data\/query\// }), 1)
  t.equal(s.sim.callCount({ provider: 'sanity', path: /\/hooks\// }), 1)
  t.equal(s.sim.callCount({ provider: 'supabase', path: /\/health$/ }), 1)
  t.equal(s.sim.callCount({ provider: 'netlify', path: /\/deploys$/ }), 1)
})

t.test('two instances sharing PostgreSQL and Redis call each provider once', { skip: realOnly(REAL_BACKENDS_PROBLEM) }, async (t) => {
  const sim = await startSimulator()
  t.teardown(() => sim.close())
  const a = await statusApp(t, { backend: 'real', sim })
  const b = await statusApp(t, { backend: 'real', sim, env: { DATABASE_SCHEMA: a.schema!, REDIS_PREFIX: a.redisPrefix! } })
  for (const key of PROVIDER_KEYS) await a.link('p_shared', key, 'healthy', SLOW)
  const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).status('p_shared')))
  t.ok(responses.every((r) => r.statusCode === 200), 'all answered 200')
  t.equal(new Set(responses.map((r) => r.json<StatusEnvelope>().hash)).size, 1, 'both instances agree')
  t.same(responses[1]!.json<StatusEnvelope>().items.map((i) => i.status), PROVIDER_KEYS.map(() => 'connected'))
  t.equal(sim.callCount({ provider: 'github', path: '/user' }), 1, 'one GitHub check across both instances')
  t.equal(sim.callCount({ provider: 'vercel', path: '/v6/deployments' }), 2)
  t.equal(sim.callCount({ provider: 'sanity', path: /\/hooks\// }), 1)
  t.equal(sim.callCount({ provider: 'supabase', path: /\/health$/ }), 1)
  t.equal(sim.callCount({ provider: 'netlify', path: /\/deploys$/ }), 1)
})
