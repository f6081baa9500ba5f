import t from 'tap'
import { randomUUID } from 'node:crypto'
import { eachBackend, REAL_BACKENDS_PROBLEM, realOnly } from '../helper.js'
import { statusApp } from '../support/status-app.js'
import { post, settled } from '../support/actions.js'
import type { Action } from '../../src/schemas/action.js'

eachBackend(t, 'POST /api/integrations/actions: idempotency', async (t, backend) => {
  const s = await statusApp(t, { backend })
  await s.link('p_idem', 'github')
  const sync = { projectId: 'p_idem', provider: 'github', action: 'sync' }

  t.test('the key is required and must be a UUID', async (t) => {
    const missing = await post(s, sync, { key: null })
    t.equal(missing.statusCode, 400)
    t.equal(missing.json().code, 'VALIDATION_FAILED')
    t.match(missing.json().details, [{ in: 'headers', message: /idempotency-key/ }])
    t.equal((await post(s, sync, { key: 'not-a-uuid' })).statusCode, 400)
  })

  t.test('same key, same request: the same action, once; another request: 422', async (t) => {
    const key = randomUUID()
    const first = await post(s, sync, { key })
    t.equal(first.statusCode, 202)
    const action = first.json<Action>()
    t.equal(first.headers.location, `/api/integrations/actions/${action.id}`)
    t.notOk(first.headers['idempotent-replayed'])
    t.match(action, { projectId: 'p_idem', provider: 'github', action: 'sync', mode: 'inline', params: {} })
    const again = await post(s, sync, { key })
    t.equal(again.statusCode, 202)
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal(again.json<Action>().id, action.id)
    const other = await post(s, { ...sync, action: 'pull' }, { key })
    t.equal(other.statusCode, 422)
    t.equal(other.json().code, 'IDEMPOTENCY_KEY_REUSED')
    // Keys belong to their user: another user's identical key is another action.
    const someoneElse = await post(s, sync, { key, sub: 'u_other' })
    t.not(someoneElse.json<Action>().id, action.id)
    t.equal((await settled(s, action.id)).status, 'succeeded')
    await settled(s, someoneElse.json<Action>().id)
  })

  t.test('50 concurrent identical requests: one row, one execution', async (t) => {
    const key = randomUUID()
    const before = s.sim.callCount({ provider: 'github', path: '/user' })
    const responses = await Promise.all(Array.from({ length: 50 }, () => post(s, sync, { key })))
    const codes = new Set(responses.map((r) => r.statusCode))
    t.ok([...codes].every((c) => c === 202 || c === 409), `only 202 and 409 (${[...codes].join(', ')})`)
    const ids = new Set(responses.filter((r) => r.statusCode === 202).map((r) => r.json<Action>().id))
    t.equal(ids.size, 1, 'every accepted answer names one action')
    for (const conflict of responses.filter((r) => r.statusCode === 409)) {
      t.equal(conflict.json().code, 'IDEMPOTENCY_REQUEST_IN_FLIGHT')
      t.equal(conflict.headers['retry-after'], '1')
    }
    const rows = await s.app.db.selectFrom('integration_actions').select('id').where('idempotency_key', '=', key).execute()
    t.equal(rows.length, 1, 'one row')
    const done = await settled(s, [...ids][0]!)
    t.match(done, { status: 'succeeded', attempts: 1 }, 'run once')
    const runs = await s.app.db.selectFrom('integration_action_transitions').select('status').where('action_id', '=', done.id).orderBy('id').execute()
    t.same(runs.map((r) => r.status), ['pending', 'running', 'succeeded'], 'one execution')
    t.equal(s.sim.callCount({ provider: 'github', path: '/user' }) - before, 1, 'one re-check at GitHub')
  })

  t.test('a duplicate while the first is still being accepted: 409', async (t) => {
    const key = randomUUID()
    // The first request has taken the key but not yet stored its action; its lease still runs.
    const fingerprint = s.app.actions.fingerprintOf({ ...sync, provider: 'github', params: {} })
    await s.app.db.insertInto('action_idempotency_keys').values({ project_id: 'p_idem', user_id: 'u_owner', idempotency_key: key, request_fingerprint: fingerprint, claimed_by: 'worker-alive/r1', lease_until: new Date(Date.now() + 60_000) }).execute()
    const response = await post(s, sync, { key })
    t.equal(response.statusCode, 409)
    t.equal(response.json().code, 'IDEMPOTENCY_REQUEST_IN_FLIGHT')
    t.equal(response.headers['retry-after'], '1')
    const row = await s.app.db.selectFrom('action_idempotency_keys').select(['claimed_by', 'action_id']).where('idempotency_key', '=', key).executeTakeFirstOrThrow()
    t.same(row, { claimed_by: 'worker-alive/r1', action_id: null }, 'a live claim is never taken over')
  })

  t.test('a claim whose request died (lease run out, no action) is taken over by the retry, which runs once', async (t) => {
    const key = randomUUID()
    const fingerprint = s.app.actions.fingerprintOf({ ...sync, provider: 'github', params: {} })
    await s.app.db.insertInto('action_idempotency_keys').values({ project_id: 'p_idem', user_id: 'u_owner', idempotency_key: key, request_fingerprint: fingerprint, claimed_by: 'worker-dead/r1', lease_until: new Date(Date.now() - 1000) }).execute()
    // Another request with the key: the expired claim does not make it a different request.
    const other = await post(s, { ...sync, action: 'pull' }, { key })
    t.equal(other.statusCode, 422, 'another request with the key is still refused')
    const retry = await post(s, sync, { key })
    t.equal(retry.statusCode, 202)
    t.notOk(retry.headers['idempotent-replayed'], 'answered as a first request')
    const action = retry.json<Action>()
    const row = await s.app.db.selectFrom('action_idempotency_keys').select(['claimed_by', 'action_id']).where('idempotency_key', '=', key).executeTakeFirstOrThrow()
    t.equal(row.action_id, action.id)
    t.match(row.claimed_by, new RegExp(`^${s.app.actions.worker}/`), 'the key now names the request that took it over')
    const again = await post(s, sync, { key })
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal(again.json<Action>().id, action.id)
    t.match(await settled(s, action.id), { status: 'succeeded', attempts: 1 })
  })

  t.test('expired claim, racing retries: exactly one takes it over, the others get 409 then the replay', async (t) => {
    const key = randomUUID()
    const fingerprint = s.app.actions.fingerprintOf({ ...sync, provider: 'github', params: {} })
    await s.app.db.insertInto('action_idempotency_keys').values({ project_id: 'p_idem', user_id: 'u_owner', idempotency_key: key, request_fingerprint: fingerprint, claimed_by: 'worker-dead/r2', lease_until: new Date(Date.now() - 1000) }).execute()
    const responses = await Promise.all(Array.from({ length: 20 }, () => post(s, sync, { key })))
    const fresh = responses.filter((r) => r.statusCode === 202 && !r.headers['idempotent-replayed'])
    t.equal(fresh.length, 1, 'one request took the claim over and stored the action')
    t.ok(responses.every((r) => r.statusCode === 202 || r.statusCode === 409), 'the others: 409 or the replay')
    const rows = await s.app.db.selectFrom('integration_actions').select('id').where('idempotency_key', '=', key).execute()
    t.equal(rows.length, 1, 'one action')
    const replay = await post(s, sync, { key })
    t.equal(replay.headers['idempotent-replayed'], 'true')
    t.equal(replay.json<Action>().id, fresh[0]!.json<Action>().id)
    await settled(s, rows[0]!.id)
  })

  t.test('a request whose claim was taken over while it was slow stores nothing: it answers with the winner\'s action', async (t) => {
    const key = randomUUID()
    const prepared = s.app.actions.prepare({ ...sync, provider: 'github', params: {}, userId: 'u_owner', role: 'owner', idempotencyKey: key })
    const slow = await s.app.actions.claim(prepared)
    t.equal(slow.kind, 'claimed')
    // Its lease runs out; a retry takes the key over and stores the action.
    await s.app.db.updateTable('action_idempotency_keys').set({ lease_until: new Date(Date.now() - 1000) }).where('idempotency_key', '=', key).execute()
    const retry = await post(s, sync, { key })
    t.equal(retry.statusCode, 202)
    // The slow request finally gets to store its action: it may not, and answers the replay.
    const late = await s.app.actions.accept(prepared, (slow as { holder: string }).holder)
    t.equal(late.kind, 'replay')
    t.equal(late.action.id, retry.json<Action>().id)
    // Nor may it give back a key it no longer holds.
    await s.app.actions.release(prepared, (slow as { holder: string }).holder)
    const rows = await s.app.db.selectFrom('integration_actions').select('id').where('idempotency_key', '=', key).execute()
    t.equal(rows.length, 1, 'one action')
    t.equal((await post(s, sync, { key })).headers['idempotent-replayed'], 'true', 'the key still names it')
    await settled(s, rows[0]!.id)
  })
})

eachBackend(t, 'permissions follow the matrix', async (t, backend) => {
  const s = await statusApp(t, { backend })
  for (const provider of ['github', 'vercel', 'sanity', 'supabase'] as const) await s.link('p_perm', provider)
  const catalog: Array<[string, string, Record<string, unknown>?]> = [
    ['github', 'push'], ['github', 'pull'], ['github', 'sync'], ['github', 'disconnect'],
    ['vercel', 'deploy', { target: 'preview' }], ['vercel', 'deploy', { target: 'production' }], ['vercel', 'link', { projectId: 'prj_secretvercel' }], ['vercel', 'disconnect'],
    ['sanity', 'sync'], ['sanity', 'open-studio'], ['sanity', 'disconnect'],
    ['supabase', 'test-connection'], ['supabase', 'disconnect']
  ]
  const editorMay = new Set(['github push', 'github pull', 'github sync', 'vercel deploy preview', 'sanity sync'])
  let n = 0
  // Read before anything runs: an owner's disconnect below really unlinks.
  const shownTo = Object.fromEntries(await Promise.all((['owner', 'admin', 'editor', 'viewer'] as const)
    .map(async (role) => [role, (await s.status('p_perm', role)).json()])))
  for (const role of ['owner', 'admin', 'editor', 'viewer'] as const) {
    for (const [provider, action, params] of catalog) {
      const name = `${provider} ${action}${params?.target ? ` ${String(params.target)}` : ''}`
      const allowed = role === 'owner' || role === 'admin' || (role === 'editor' && editorMay.has(name))
      const status = shownTo[role]
      // A user per request: this is about permissions, not the per-user rate limit.
      const response = await post(s, { projectId: 'p_perm', provider, action, ...(params ? { params } : {}) }, { role, sub: `u_${role}_${++n}` })
      if (allowed) {
        t.equal(response.statusCode, 202, `${role} may ${name}`)
      } else {
        t.equal(response.statusCode, 403, `${role} may not ${name}`)
        t.equal(response.json().code, 'ACTION_FORBIDDEN')
        // The refusal gives the same reason the status shows (deploy variants aside).
        const shown = status.items.find((i: { key: string }) => i.key === provider).actions.find((a: { id: string }) => a.id === action)
        if (!shown.can) t.equal(response.json().message, shown.reason, `${role} ${name}: same reason as the status`)
        else t.equal(response.json().message, 'Editors can deploy to preview only')
      }
    }
  }
  for (const role of ['editor', 'viewer'] as const) {
    for (const action of ['connect', 'reconnect']) {
      const response = await post(s, { projectId: 'p_perm', provider: 'vercel', action }, { role, sub: `u_${role}_${++n}` })
      t.equal(response.statusCode, 403, `${role} may not ${action}`)
      t.equal(response.json().message, role === 'viewer' ? 'Viewers can only view integrations' : 'Only owners and admins can connect or disconnect integrations')
    }
  }
  const unknown = await post(s, { projectId: 'p_perm', provider: 'github', action: 'explode' })
  t.equal(unknown.statusCode, 400)
  t.equal(unknown.json().code, 'UNKNOWN_ACTION')
  const foreign = await post(s, { projectId: 'p_other', provider: 'github', action: 'sync' }, { role: 'owner', sub: 'u_x' })
  t.equal(foreign.statusCode, 202, 'a project the token names is fine')
  const noRole = await s.app.inject({
    method: 'POST', url: '/api/integrations/actions', headers: { ...s.as('owner', 'p_mine'), 'idempotency-key': randomUUID() }, payload: { projectId: 'p_perm', provider: 'github', action: 'sync' }
  })
  t.equal(noRole.statusCode, 403, 'no role on the body\'s project')
  t.equal(noRole.json().code, 'FORBIDDEN')
})

eachBackend(t, 'rate limit: 5 actions a minute per user and project; replays are free', async (t, backend) => {
  const s = await statusApp(t, { backend })
  await s.link('p_rate', 'github')
  const sync = { projectId: 'p_rate', provider: 'github', action: 'sync' }
  for (let i = 0; i < 5; i++) {
    const response = await post(s, sync)
    t.equal(response.statusCode, 202)
    t.equal(response.headers['ratelimit-limit'], '5')
    t.equal(response.headers['ratelimit-remaining'], String(4 - i))
  }
  const key = randomUUID()
  const over = await post(s, sync, { key })
  t.equal(over.statusCode, 429)
  t.equal(over.json().code, 'RATE_LIMITED')
  t.ok(Number(over.headers['retry-after']) > 0, 'Retry-After')
  t.equal(over.headers['ratelimit-remaining'], '0')
  const keyRow = await s.app.db.selectFrom('action_idempotency_keys').select('idempotency_key').where('idempotency_key', '=', key).executeTakeFirst()
  t.notOk(keyRow, 'the refused request gave its key back, so the client can retry with it later')

  // A replay of an accepted action is answered even now, and costs nothing.
  const replayKey = randomUUID()
  const s2 = await statusApp(t, { backend })
  await s2.link('p_rate2', 'github')
  const sync2 = { projectId: 'p_rate2', provider: 'github', action: 'sync' }
  t.equal((await post(s2, sync2, { key: replayKey })).statusCode, 202)
  for (let i = 0; i < 6; i++) t.equal((await post(s2, sync2, { key: replayKey })).statusCode, 202, `replay ${i + 1}`)
  let fresh = 0
  for (let i = 0; i < 5; i++) if ((await post(s2, sync2)).statusCode === 202) fresh++
  t.equal(fresh, 4, 'four more new actions fit: the replays did not count')
  t.equal((await post(s, { ...sync, projectId: 'p_rate_other' }, {})).statusCode, 202, 'another project has its own five')
})

t.test('the limit holds across two instances sharing Redis', { skip: realOnly(REAL_BACKENDS_PROBLEM) }, async (t) => {
  const a = await statusApp(t, { backend: 'real' })
  const b = await statusApp(t, { backend: 'real', sim: a.sim, env: { DATABASE_SCHEMA: a.schema!, REDIS_PREFIX: a.redisPrefix! } })
  await a.link('p_shared_rate', 'github')
  const sync = { projectId: 'p_shared_rate', provider: 'github', action: 'sync' }
  const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i % 2 === 0 ? a : b, sync)))
  t.equal(responses.filter((r) => r.statusCode === 202).length, 5, 'exactly five accepted')
  t.equal(responses.filter((r) => r.statusCode === 429).length, 15, 'the rest limited')
})

eachBackend(t, 'the host queue: push waits for the host worker', async (t, backend) => {
  const HOST = 'host-worker-secret-that-is-long-enough-0123'
  const s = await statusApp(t, { backend, env: { HOST_WORKER_TOKEN: HOST } })
  await s.link('p_host', 'github')
  const host = (path: string, payload: Record<string, unknown>, token = HOST) =>
    s.app.inject({ method: 'POST', url: `/api/host/actions${path}`, headers: { authorization: `Bearer ${token}` }, payload })

  const accepted = (await post(s, { projectId: 'p_host', provider: 'github', action: 'push', params: { message: 'Update copy' } })).json<Action>()
  t.match(accepted, { mode: 'host', status: 'pending' })
  t.equal((await host('/claim', { workerId: 'w1' }, 'wrong-token-wrong-token-wrong-token')).statusCode, 401)
  const claimed = await host('/claim', { workerId: 'w1' })
  t.equal(claimed.statusCode, 200)
  t.match(claimed.json().items, [{ id: accepted.id, action: 'push', status: 'running', userId: 'u_owner', params: { message: 'Update copy' } }])
  t.same((await host('/claim', { workerId: 'w2' })).json().items, [], 'nobody else gets it')
  t.equal((await host(`/${accepted.id}/progress`, { workerId: 'w2', progress: { pct: 10 } })).statusCode, 409, 'only its worker reports on it')
  const progress = await host(`/${accepted.id}/progress`, { workerId: 'w1', progress: { pct: 50 } })
  t.match(progress.json(), { status: 'running', progress: { pct: 50 } })
  const done = await host(`/${accepted.id}/complete`, { workerId: 'w1', status: 'succeeded', result: { commit: 'abc123' } })
  t.match(done.json(), { status: 'succeeded', result: { commit: 'abc123' } })
  t.equal((await host(`/${accepted.id}/complete`, { workerId: 'w1', status: 'failed', error: { code: 'x', message: 'y' } })).statusCode, 409, 'finished is final')
  const transitions = await s.app.db.selectFrom('integration_action_transitions').select(['status']).where('action_id', '=', accepted.id).orderBy('id').execute()
  t.same(transitions.map((r) => r.status), ['pending', 'running', 'running', 'succeeded'], 'every state change recorded')
})

eachBackend(t, 'restart recovery: an action left running by a dead worker', async (t, backend) => {
  const s = await statusApp(t, { backend })
  await s.link('p_crash', 'github')
  await s.link('p_crash', 'vercel')
  const sync = (await post(s, { projectId: 'p_crash', provider: 'github', action: 'sync' })).json<Action>()
  await settled(s, sync.id)
  // Two actions a killed process left behind: running, lease long gone.
  const orphan = async (provider: string, action: string, params: Record<string, unknown>) => {
    const row = await s.app.db.insertInto('integration_actions').values({
      project_id: 'p_crash',
      provider,
      action,
      params: JSON.stringify(params),
      idempotency_key: randomUUID(),
      user_id: 'u_owner',
      role: 'owner',
      mode: 'inline',
      request_fingerprint: 'x',
      status: 'running',
      attempts: 1,
      claimed_by: 'worker-dead',
      lease_until: new Date(Date.now() - 60_000),
      updated_at: new Date()
    }).returning('id').executeTakeFirstOrThrow()
    return row.id
  }
  const retryable = await orphan('github', 'sync', {})
  const unsafe = await orphan('vercel', 'deploy', { target: 'preview' })
  const rerun = await settled(s, retryable)
  t.match(rerun, { status: 'succeeded', attempts: 2 }, 'a safe action runs again')
  const failed = await settled(s, unsafe)
  t.match(failed, { status: 'failed', error: { code: 'interrupted' } }, 'a deploy is never sent twice')
  t.equal(s.sim.callCount({ provider: 'vercel', method: 'POST' }), 0, 'nothing was deployed')
})

eachBackend(t, 'reading actions back, and every change written to the event log', async (t, backend) => {
  const s = await statusApp(t, { backend })
  await s.link('p_read', 'github')
  const ids: string[] = []
  for (const sub of ['u_a', 'u_b', 'u_c']) {
    const response = await post(s, { projectId: 'p_read', provider: 'github', action: 'sync' }, { sub })
    ids.push(response.json<Action>().id)
    await settled(s, ids.at(-1)!)
  }
  const page1 = await s.app.inject({ url: '/api/integrations/actions?projectId=p_read&limit=2', headers: s.as('viewer', 'p_read') })
  t.equal(page1.statusCode, 200)
  t.same(page1.json().items.map((a: Action) => a.id), [ids[2], ids[1]], 'newest first')
  const page2 = await s.app.inject({ url: `/api/integrations/actions?projectId=p_read&limit=2&before=${page1.json().nextCursor}`, headers: s.as('viewer', 'p_read') })
  t.same(page2.json().items.map((a: Action) => a.id), [ids[0]])
  t.notOk(page2.json().nextCursor, 'the last page')
  t.equal((await s.app.inject({ url: '/api/integrations/actions?projectId=p_read&before=garbage', headers: s.as('viewer', 'p_read') })).statusCode, 400)

  const one = await s.app.inject({ url: `/api/integrations/actions/${ids[0]}`, headers: s.as('viewer', 'p_read') })
  t.match(one.json(), { id: ids[0], status: 'succeeded', completedAt: String })
  const foreign = await s.app.inject({ url: `/api/integrations/actions/${ids[0]}`, headers: s.as('owner', 'p_elsewhere') })
  t.equal(foreign.statusCode, 404, 'no role on its project: as if it did not exist')
  t.equal(foreign.json().code, 'ACTION_NOT_FOUND')

  const logged = await s.app.events.log.after('p_read', 0, 100)
  const seen = logged.filter((e) => e.type === 'action' && e.payload.id === ids[0]).map((e) => (e.payload as Action).status)
  t.same(seen, ['pending', 'running', 'succeeded'], 'pending, running and the outcome were logged')
  t.same(logged.map((e) => e.seq), logged.map((_e, i) => i + 1), 'ids are gapless from 1')
})

t.test('Redis down: actions answer 503 with Retry-After (the limit is never skipped), and no key is kept', async (t) => {
  const s = await statusApp(t, { env: { REDIS_URL: 'redis://127.0.0.1:1' } })
  await s.link('p_noredis', 'github')
  const key = randomUUID()
  const response = await post(s, { projectId: 'p_noredis', provider: 'github', action: 'sync' }, { key })
  t.equal(response.statusCode, 503)
  t.equal(response.json().code, 'SERVICE_UNAVAILABLE')
  t.equal(response.headers['retry-after'], '5')
  const rows = await s.app.db.selectFrom('integration_actions').select('id').where('project_id', '=', 'p_noredis').execute()
  t.equal(rows.length, 0, 'nothing was accepted without the rate limit')
  t.notOk(await s.app.db.selectFrom('action_idempotency_keys').select('idempotency_key').where('idempotency_key', '=', key).executeTakeFirst(), 'the key was given back')
})

eachBackend(t, 'a host action its worker never finishes goes back to the queue, then fails', async (t, backend) => {
  const HOST = 'host-worker-secret-that-is-long-enough-0123'
  const s = await statusApp(t, { backend, env: { HOST_WORKER_TOKEN: HOST } })
  await s.link('p_host2', 'github')
  const claim = async (workerId: string) => (await s.app.inject({
    method: 'POST', url: '/api/host/actions/claim', headers: { authorization: `Bearer ${HOST}` }, payload: { workerId }
  })).json().items as Action[]
  const accepted = (await post(s, { projectId: 'p_host2', provider: 'github', action: 'pull' })).json<Action>()
  const expire = () => s.app.db.updateTable('integration_actions').set({ lease_until: new Date(Date.now() - 1000) }).where('id', '=', accepted.id).execute()
  for (let attempt = 1; attempt <= 3; attempt++) {
    const items = await claim(`w${attempt}`)
    t.match(items, [{ id: accepted.id, attempts: attempt }], `handed out again (${attempt})`)
    await expire() // the worker died without a word
  }
  t.same(await claim('w4'), [], 'not a fourth time')
  t.match(await s.app.actions.get(accepted.id), { status: 'failed', error: { code: 'host_unfinished' } })
})
