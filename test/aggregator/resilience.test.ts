import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { deleteKeys, eachBackend, REAL_BACKENDS_PROBLEM, TEST_REDIS_URL, realOnly } from '../helper.js'
import { statusApp } from '../support/status-app.js'
import { startSimulator } from '../simulator/simulator.js'
import type { StatusEnvelope } from '../../src/schemas/integration-status.js'
import { LOCAL_COPY_MS } from '../../src/aggregator/status-store.js'

const github = async (s: { status (p: string): Promise<{ json<T> (): T }> }, projectId: string) =>
  (await s.status(projectId)).json<StatusEnvelope>().items[0]!

async function metric (s: { app: { inject (o: { url: string }): Promise<{ body: string }> } }, pattern: RegExp) {
  const text = (await s.app.inject({ url: '/metrics' })).body
  const match = pattern.exec(text)
  return match ? Number(match[1]) : 0
}

eachBackend(t, 'circuit breaker: opens, serves stale, half-opens, recovers', async (t, backend) => {
  const s = await statusApp(t, { backend, env: { BREAKER_FAILURES: '2', BREAKER_HALF_OPEN_MS: '2000', STATUS_TTL_MS: '60000' } })
  const token = await s.link('p_cb', 'github')
  t.match(await github(s, 'p_cb'), { status: 'connected', summary: /^Linked to release-train · Last push/ })
  t.notOk((await github(s, 'p_cb')).stale)

  s.sim.setScenario('github', token, 'server_error')
  await s.app.aggregator.refreshProject('p_cb')
  t.equal(s.app.aggregator.breakerState('github', 'p_cb'), 'closed', 'one failure is not enough')
  await s.app.aggregator.refreshProject('p_cb')
  t.equal(s.app.aggregator.breakerState('github', 'p_cb'), 'open', 'two consecutive failures open it')

  const open = await github(s, 'p_cb')
  t.match(open, { status: 'connected', stale: true, problem: { code: 'unknown' } }, 'last good status, flagged stale')
  const calls = s.sim.callCount({ provider: 'github' })
  await s.app.aggregator.refreshProject('p_cb')
  t.equal(s.sim.callCount({ provider: 'github' }), calls, 'an open circuit calls nobody')
  t.match((await github(s, 'p_cb')).problem?.hint, /keeps failing/)

  t.equal(await metric(s, /circuit_breaker_transitions_total\{provider="github",state="open"\} (\d+)/), 1, 'counted')
  t.equal(await metric(s, /circuit_breakers_open\{provider="github"\} (\d+)/), 1, 'gauged')
  t.ok(s.logs.some((line) => line.includes('"circuitBreakerState":"open"') && line.includes('circuit open for github')), 'logged')
  const row = await s.app.db.selectFrom('project_integrations').select('circuit_breaker_state')
    .where('project_id', '=', 'p_cb').where('provider', '=', 'github').executeTakeFirstOrThrow()
  t.match(row.circuit_breaker_state, { state: 'open' }, 'kept in circuit_breaker_state')

  s.sim.setScenario('github', token, 'healthy', { branch: 'release-train' })
  // Long enough that the open-circuit checks above never reach the trial on a slow machine;
  // cockatiel keeps real time, so this one wait cannot be faked.
  await sleep(2100) // past BREAKER_HALF_OPEN_MS: the next check is the trial
  await s.app.aggregator.refreshProject('p_cb')
  t.equal(s.app.aggregator.breakerState('github', 'p_cb'), 'closed', 'the trial succeeded')
  const recovered = await github(s, 'p_cb')
  t.match(recovered, { status: 'connected' })
  t.notOk(recovered.problem, 'no problem once recovered')
  t.equal(await metric(s, /circuit_breaker_transitions_total\{provider="github",state="half_open"\} (\d+)/), 1)
  t.equal(await metric(s, /circuit_breaker_transitions_total\{provider="github",state="closed"\} (\d+)/), 1)
})

eachBackend(t, 'a hanging provider never holds the response past the deadline', async (t, backend) => {
  // Long enough for the healthy provider's cold check on a busy machine, far shorter than the hang.
  const s = await statusApp(t, { backend, env: { STATUS_DEADLINE_MS: '1000', PROVIDER_TIMEOUT_MS: '2500' } })
  await s.link('p_hang', 'github', 'hanging')
  await s.link('p_hang', 'sanity')
  const response = await s.status('p_hang')
  t.equal(response.statusCode, 200)
  const body = response.json<StatusEnvelope>()
  // The simulator never answers a hanging call, so this response cannot have waited for it.
  t.ok(s.sim.callCount({ provider: 'github' }) >= 1, 'the provider was called')
  t.match(body.items[0], { status: 'warning', stale: true, problem: { code: 'timeout' } })
  t.match(body.items[2], { status: 'connected' }, 'the other providers are unaffected')
  t.equal(body.overall, 'warning')

  await s.app.aggregator.refreshProject('p_hang') // joins the running check until its own timeout
  const after = (await s.status('p_hang')).json<StatusEnvelope>().items[0]!
  t.match(after, { status: 'warning', summary: 'GitHub status unavailable', problem: { code: 'timeout' } })
  t.ok(await metric(s, /adapter_timeouts_total\{provider="github"\} (\d+)/) >= 1, 'timeouts are counted')
})

eachBackend(t, 'stale fallback after the cache is flushed', async (t, backend) => {
  const s = await statusApp(t, { backend })
  const token = await s.link('p_flush', 'github')
  t.match(await github(s, 'p_flush'), { status: 'connected' })
  if (backend === 'real') await deleteKeys(TEST_REDIS_URL, s.redisPrefix!)
  else await s.app.backends.cache.delete('status:p_flush:github')
  s.sim.setScenario('github', token, 'hanging')
  await sleep(LOCAL_COPY_MS + 100) // the instance's own short copy runs out too
  const item = await github(s, 'p_flush')
  t.match(item, { status: 'connected', stale: true, summary: /^Linked to release-train/ }, 'PostgreSQL\'s copy, at once')
  t.notOk(item.problem, 'not a timeout: nobody waited for the provider')
})

t.test('stale fallback after a restart', { skip: realOnly(REAL_BACKENDS_PROBLEM) }, async (t) => {
  const sim = await startSimulator()
  t.teardown(() => sim.close())
  const first = await statusApp(t, { backend: 'real', sim })
  const token = await first.link('p_restart', 'vercel')
  t.match((await first.status('p_restart')).json<StatusEnvelope>().items[1], { status: 'connected' })
  await first.app.close()
  await deleteKeys(TEST_REDIS_URL, first.redisPrefix!) // and Redis lost everything too
  sim.setScenario('vercel', token, 'hanging')
  const second = await statusApp(t, { backend: 'real', sim, env: { DATABASE_SCHEMA: first.schema!, REDIS_PREFIX: first.redisPrefix! } })
  const item = (await second.status('p_restart')).json<StatusEnvelope>().items[1]!
  t.match(item, { status: 'connected', stale: true, summary: '3 deployments this week · Live' }, 'the last good status survived')
})

t.test('Redis unreachable: status is still served, from the providers and PostgreSQL', async (t) => {
  const s = await statusApp(t, { env: { REDIS_URL: 'redis://127.0.0.1:1' } })
  await s.link('p_noredis', 'sanity')
  const first = await s.status('p_noredis')
  t.equal(first.statusCode, 200)
  t.match(first.json<StatusEnvelope>().items[2], { status: 'connected', summary: '5 docs updated today · Live sync' })
  await sleep(LOCAL_COPY_MS + 100) // past the instance's own short copy
  const again = await s.status('p_noredis')
  t.equal(again.statusCode, 200)
  t.match(again.json<StatusEnvelope>().items[2], { status: 'connected', stale: true }, "PostgreSQL's copy stands in for the cache")
})
