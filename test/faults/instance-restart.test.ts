import t from 'tap'
import { randomUUID } from 'node:crypto'
import { REAL_BACKENDS_PROBLEM, realOnly } from '../helper.js'
import { balancedStream, startCluster } from '../support/cluster.js'
import { setScenario } from '../support/status-app.js'
import type { Instance } from '../support/instance.js'
import { eventually } from '../support/events.js'
import type { Action } from '../../src/schemas/action.js'

const skip = realOnly(REAL_BACKENDS_PROBLEM)

t.test('instances killed and restarted: each comes back on its address and takes up work; no action is lost or left unfinished, each ends once, no event is missed', { skip }, async (t) => {
  // Short leases so a dead runner's action is taken over within a second; a sync waits for its
  // provider check as long as the slow answers below take.
  const c = await startCluster(t, { size: 2, env: { ACTION_LEASE_MS: '1000', SSE_RETRY_MS: '50', PROVIDER_TIMEOUT_MS: '14000' } })
  const [a, b] = c.instances as [Instance, Instance]
  const projectId = 'p_restart'
  const token = await c.link(projectId, 'github')
  // Slow GitHub (12 s an answer, under the 15 s HTTP timeouts) while an instance is to die inside a
  // sync, healthy again once it has, so the takeover finishes quickly.
  const github = (scenario: 'slow' | 'healthy') => setScenario(c.sim, 'github', token, scenario, { delayMs: 12_000 })

  // The "load balancer" of a client: every (re)connect goes to `target`.
  let target = a
  const { connects, received } = await balancedStream(t, {
    projectId,
    authorization: c.as('viewer', projectId).authorization,
    route: () => ({ url: target.url, label: `${target === a ? 'a' : 'b'}${target.starts}` })
  })

  let n = 0
  const sync = async (instance: Instance) => {
    const response = await fetch(`${instance.url}/api/integrations/actions`, {
      method: 'POST',
      headers: { ...c.as('owner', projectId, `u_restart_${++n}`), 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ projectId, provider: 'github', action: 'sync' })
    })
    t.equal(response.status, 202, `sync ${n} accepted`)
    const action = await response.json() as Action
    await eventually(async () => {
      const row = await c.db.selectFrom('integration_actions').select('status').where('id', '=', action.id).executeTakeFirstOrThrow()
      // A healthy sync may already be over by the time it is read; a slow one is inside its call.
      return row.status !== 'pending'
    }, `sync ${n} was taken by a runner`)
    return action
  }

  // 1. A dies (SIGKILL) while a sync runs and the client streams from it: the client moves to B.
  github('slow')
  const first = await sync(a)
  target = b
  await a.kill()
  github('healthy')
  t.match(await c.settled(first.id), { status: 'succeeded' }, 'the sync running when A died still succeeded (on B, or already done)')

  // 2. With A down, B alone takes a sync; A is restarted on its address, then B dies mid-sync.
  github('slow')
  const second = await sync(b)
  await a.restart()
  t.equal(a.starts, 2, 'A was started again')
  const health = await fetch(`${a.url}/healthz`)
  t.equal(health.status, 200, 'the restarted A answers on the same address')
  target = a
  await b.kill()
  github('healthy')
  const takenOver = await c.settled(second.id)
  t.match(takenOver, { status: 'succeeded', attempts: 2 }, 'the restarted A took over the sync B was running when it died, and it ran again to success')

  // 3. The restarted A serves status and runs new work on its own (B is still down).
  const status = await fetch(`${a.url}/api/integrations/status?projectId=${projectId}`, { headers: c.as('owner', projectId) })
  t.equal(status.status, 200, 'status from the restarted A')
  const third = await sync(a)
  t.match(await c.settled(third.id), { status: 'succeeded', attempts: 1 }, 'a sync sent to the restarted A ran there, once')

  // 4. The client that followed A → B → restarted A saw every action event of the log, in order, once.
  const logged = (await c.db.selectFrom('integration_events').select('seq').where('project_id', '=', projectId).where('type', '=', 'action').orderBy('seq').execute())
    .map((row) => Number(row.seq))
  await eventually(() => received.length >= logged.length, `the client caught up (${received.length} of ${logged.length} action events)`)
  t.same(received.map((event) => event.id), logged, 'every action event of the log, in id order, none twice')
  const terminal = received.filter((event) => event.action.status === 'succeeded').map((event) => event.action.id)
  t.same(terminal, [first.id, second.id, third.id], 'each sync ended once, as seen by the client')
  t.equal(connects[0], 'a1:-', 'the client started on A')
  t.ok(connects.some((connect) => /^b1:\d+$/.test(connect)), `it resumed on B with its last id (${connects.join(' ')})`)
  t.match(connects.at(-1), /^a2:\d+$/, 'and finally on the restarted A with its last id')
})
