import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { statusApp, type StatusApp } from '../support/status-app.js'
import { privatePostgresProblem, startPrivatePostgres } from '../support/private-postgres.js'
import { startPrivateRedis } from '../support/private-redis.js'
import { openRawStream } from '../support/sse.js'
import { emit, eventually, ids } from '../support/events.js'
import { acceptedAfterOutage, post } from '../support/actions.js'
import { statusLoad } from '../support/status-load.js'
import { sql } from 'kysely'

// Everything this file stops is its own: a private cluster and a private Redis, nothing shared.
const problem = await privatePostgresProblem()
const skip = problem !== null && process.env.CI !== 'true' ? problem : false
if (skip) t.comment(`!!! SKIPPING the PostgreSQL fault tests: ${problem}`)
const eventsUrl = (base: string, projectId: string) => `${base}/api/integrations/events?projectId=${projectId}`

/** What the key and action tables hold for one Idempotency-Key. */
async function leftovers (s: StatusApp, key: string) {
  const keys = await s.app.db.selectFrom('action_idempotency_keys').selectAll().where('idempotency_key', '=', key).execute()
  const actions = await s.app.db.selectFrom('integration_actions').select('id').where('idempotency_key', '=', key).execute()
  return { keys: keys.length, actions: actions.length }
}

/** The status's per-instance copy of a project's links is trusted 5 s (links-view.ts); the outage must outlast it. */
const LINKS_COPY_MS = 5_000

t.test('PostgreSQL stopped and restarted: status served from the cache, actions 503, then a resuming client misses nothing', { skip }, async (t) => {
  if (problem) {
    t.fail(`a private PostgreSQL cluster is required when CI=true: ${problem}`)
    return
  }
  const pg = await startPrivatePostgres(t)
  const redis = await startPrivateRedis(t)
  // Schema and prefix named here, so no teardown needs these servers (they are thrown away whole).
  const env = { DATABASE_URL: pg.url, DATABASE_SCHEMA: 'fault', REDIS_URL: redis.url, REDIS_PREFIX: 'fault:', EVENTS_POLL_MS: '100', STATUS_DEADLINE_MS: '1000' }
  const a = await statusApp(t, { backend: 'real', listen: true, env })
  const b = await statusApp(t, { backend: 'real', listen: true, sim: a.sim, env })
  const projectId = 'p_pg_fault'
  await a.link(projectId, 'github')
  for (const s of [a, b]) t.equal((await s.status(projectId)).statusCode, 200, 'warm before the fault')

  const held = await openRawStream(eventsUrl(b.url, projectId), b.as('viewer', projectId))
  t.teardown(held.close)
  await held.until((m) => m.event === 'ready')
  const before = await emit(a.app, projectId, 0)
  await eventually(() => ids(held.messages).includes(before.seq), 'the held stream is live before the fault')

  const load = statusLoad([a, b].map((s) => ({ url: s.url, headers: s.as('viewer', projectId) })), projectId)
  t.teardown(() => load.stop())
  await eventually(() => load.codes.length >= 10, 'status answering under load')

  await pg.stop()
  const key = randomUUID()
  const refused = await post(a, { projectId, provider: 'github', action: 'sync' }, { key })
  t.equal(refused.statusCode, 503, 'an action while PostgreSQL is down: 503')
  t.equal(refused.json().code, 'SERVICE_UNAVAILABLE')
  t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After')

  // Not an assertion on time: the outage simply has to last past the instance's links copy.
  await sleep(LINKS_COPY_MS + 1_000)
  const servedDuring = load.codes.length
  await eventually(() => load.codes.length >= servedDuring + 10, 'status still answering after the links copy expired')

  await pg.start()
  const written: number[] = []
  await eventually(async () => {
    try {
      written.push((await emit(a.app, projectId, 1)).seq)
      return true
    } catch {
      return false // the pool may hand out a connection the restart cut, once
    }
  }, 'an event written after the restart')
  for (let n = 2; n <= 5; n++) written.push((await emit(b.app, projectId, n)).seq)

  t.same(await leftovers(a, key), { keys: 0, actions: 0 }, 'nothing half-written by the refused action')
  await acceptedAfterOutage(t, a, projectId, 'an action accepted again after the restart')

  await load.stop()
  t.same(load.failures, [], `every status answer was 200 (${load.codes.length} requests, across the outage)`)

  const resumed = await openRawStream(eventsUrl(a.url, projectId), { ...a.as('viewer', projectId), 'last-event-id': String(before.seq) })
  t.teardown(resumed.close)
  t.equal(resumed.status, 200)
  await resumed.until((m) => m.id === String(written.at(-1)))
  const replayed = ids(resumed.messages)
  t.same(replayed.filter((id) => written.includes(id)), written, 'the resuming client gets every event written after the restart, once, in order')
  t.notOk(replayed.includes(before.seq), 'and nothing it already had')
  await eventually(() => ids(held.messages).includes(written.at(-1)!), 'the stream held across the outage gets them too')
  const seen = ids(held.messages)
  t.same(seen.filter((id) => written.includes(id)), written, 'the held stream: every one, once, in order')
})

t.test('PostgreSQL going away in the middle of a transaction fails it, never the process', { skip }, async (t) => {
  if (problem) {
    t.fail(`a private PostgreSQL cluster is required when CI=true: ${problem}`)
    return
  }
  const pg = await startPrivatePostgres(t)
  const s = await statusApp(t, { backend: 'real', env: { DATABASE_URL: pg.url, DATABASE_SCHEMA: 'midquery', REDIS_URL: 'redis://127.0.0.1:1', REDIS_PREFIX: 'midquery:' } })
  // A client checked out between two statements of a transaction, when its server goes away,
  // emits 'error' with no pool listener on it: unheard, that is an uncaught exception (which tap
  // reports as a failure of this test) and, in production, a dead process.
  let inside = false
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const transaction = s.app.db.transaction().execute(async (trx) => {
    await sql`SELECT 1`.execute(trx)
    inside = true
    await gate
    await sql`SELECT 1`.execute(trx)
  })
  const outcome = transaction.then(() => 'finished', (error: Error) => error)
  await eventually(() => inside, 'inside the transaction')
  await pg.stop()
  release()
  t.type(await outcome, Error, 'the transaction fails')
  await pg.start()
  await eventually(async () => (await s.app.inject({ url: '/readyz' })).statusCode !== 500, 'the service still answers')
  t.equal((await s.app.inject({ url: '/healthz' })).statusCode, 200, 'and the process is alive')
})
