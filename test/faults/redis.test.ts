import { randomUUID } from 'node:crypto'
import t from 'tap'
import { REAL_BACKENDS_PROBLEM, realOnly } from '../helper.js'
import { statusApp, type StatusApp } from '../support/status-app.js'
import { startPrivateRedis } from '../support/private-redis.js'
import { openRawStream } from '../support/sse.js'
import { emit, eventually, ids } from '../support/events.js'
import { acceptedAfterOutage, post } from '../support/actions.js'
import { statusLoad } from '../support/status-load.js'

// Needs the shared PostgreSQL (its own schema); the Redis it stops is its own.
const skip = realOnly(REAL_BACKENDS_PROBLEM)
const eventsUrl = (base: string, projectId: string) => `${base}/api/integrations/events?projectId=${projectId}`

/** What the key and action tables hold for one Idempotency-Key. */
async function leftovers (s: StatusApp, key: string) {
  const keys = await s.app.db.selectFrom('action_idempotency_keys').selectAll().where('idempotency_key', '=', key).execute()
  const actions = await s.app.db.selectFrom('integration_actions').select('id').where('idempotency_key', '=', key).execute()
  return { keys: keys.length, actions: actions.length }
}

t.test('Redis stopped under load and started again: status stays 200, actions 503 then accepted, a held stream misses nothing', { skip }, async (t) => {
  const redis = await startPrivateRedis(t)
  // The prefix is named here, so no teardown needs this Redis (it is thrown away whole).
  const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'fault:', EVENTS_POLL_MS: '100', STATUS_DEADLINE_MS: '1000' }
  const a = await statusApp(t, { backend: 'real', listen: true, env })
  const b = await statusApp(t, { backend: 'real', listen: true, sim: a.sim, env: { ...env, DATABASE_SCHEMA: a.schema! } })
  const projectId = 'p_redis_fault'
  await a.link(projectId, 'github')
  t.equal((await a.status(projectId)).statusCode, 200, 'warm before the fault')

  const stream = await openRawStream(eventsUrl(b.url, projectId), b.as('viewer', projectId))
  t.teardown(stream.close)
  t.equal(stream.status, 200)
  await stream.until((m) => m.event === 'ready')

  const load = statusLoad([a, b].map((s) => ({ url: s.url, headers: s.as('viewer', projectId) })), projectId)
  t.teardown(() => load.stop())
  await eventually(() => load.codes.length >= 10, 'status answering under load')

  await redis.stop()
  await eventually(() => !a.app.backends.connected() && !b.app.backends.connected(), 'both instances see Redis gone')
  const servedBefore = load.codes.length

  const written: number[] = []
  for (let n = 1; n <= 5; n++) written.push((await emit(a.app, projectId, n)).seq)

  const key = randomUUID()
  const refused = await post(a, { projectId, provider: 'github', action: 'sync' }, { key })
  t.equal(refused.statusCode, 503, 'an action while Redis is down: 503 (the rate limit cannot count it, so it is not run)')
  t.equal(refused.json().code, 'SERVICE_UNAVAILABLE')
  t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After')
  t.same(await leftovers(a, key), { keys: 0, actions: 0 }, 'nothing half-written: the key was given back, no action stored')

  await eventually(() => load.codes.length >= servedBefore + 20, 'status kept answering during the outage')
  await eventually(() => ids(stream.messages).includes(written.at(-1)!), 'events written during the outage reach the held stream (log poll)')

  await redis.start()
  await eventually(() => a.app.backends.connected() && b.app.backends.connected(), 'both instances reconnected')

  // The limiter's own connection reconnects on its own schedule: until then a retry may still get 503.
  const accepted = await acceptedAfterOutage(t, a, projectId, 'an action accepted again after Redis is back')

  for (let n = 6; n <= 10; n++) written.push((await emit(b.app, projectId, n)).seq)
  await eventually(() => ids(stream.messages).includes(written.at(-1)!), 'events written after the outage reach the held stream')
  await eventually(() => stream.messages.some((m) => m.event === 'action' && m.data?.includes(accepted.id)), 'the accepted action reaches the held stream')

  await load.stop()
  t.same(load.failures, [], `every status answer was 200 (${load.codes.length} requests, across the outage)`)
  const seen = ids(stream.messages)
  t.same(seen, [...seen].sort((x, y) => x - y), 'the stream stayed in id order')
  t.equal(new Set(seen).size, seen.length, 'no event twice')
  t.same(seen.filter((id) => written.includes(id)), written, 'every event written during and after the outage, once, in order')
})
