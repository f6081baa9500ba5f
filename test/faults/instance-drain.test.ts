import { randomUUID } from 'node:crypto'
import t from 'tap'
import { REAL_BACKENDS_PROBLEM, realOnly, testEnv } from '../helper.js'
import { statusApp } from '../support/status-app.js'
import { startInstance } from '../support/instance.js'
import { balancedStream, runnerOf } from '../support/cluster.js'
import { providerEnv } from '../simulator/simulator.js'
import { eventually } from '../support/events.js'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Action } from '../../src/schemas/action.js'

const skip = realOnly(REAL_BACKENDS_PROBLEM)
// Two instances, a 5 s grace and slow provider answers: more than the default 120 s on a busy machine.
t.setTimeout(600_000)

t.test('SIGTERM drains an instance: not ready at once, still serving for the grace, its stream resumes on the other instance with no event missed or repeated, its running action handed back', { skip }, async (t) => {
  // A long lease: the handed-back action can only be taken over this quickly because A gave it back.
  const shared = { ACTION_LEASE_MS: '120000', SSE_RETRY_MS: '50', PROVIDER_TIMEOUT_MS: '30000' }
  const b = await statusApp(t, { backend: 'real', listen: true, env: shared })
  const a = await startInstance(t, testEnv('real', {
    DATABASE_SCHEMA: b.schema!,
    REDIS_PREFIX: b.redisPrefix!,
    ...providerEnv(b.sim.baseUrls),
    ...shared,
    SHUTDOWN_GRACE_MS: '5000',
    SHUTDOWN_TIMEOUT_MS: '300'
  }))
  const projectId = 'p_drain'
  const github = await b.link(projectId, 'github')

  // The client's load balancer: every (re)connect goes to `target`.
  let target: 'a' | 'b' = 'a'
  const { connects, received } = await balancedStream(t, {
    projectId,
    authorization: b.as('viewer', projectId).authorization,
    route: () => ({ url: target === 'a' ? a.url : b.url, label: target })
  })

  /** Waits (on the shared database) until an action has succeeded or failed; slow ones take 20 s. */
  const finished = async (id: string) => {
    for (let i = 0; i < 1200; i++) {
      const action = await b.app.actions.get(id)
      if (action && (action.status === 'succeeded' || action.status === 'failed')) return action
      await sleep(50)
    }
    throw new Error(`action ${id} did not finish`)
  }
  const accepted: string[] = []
  let n = 0
  const post = (url: string) => fetch(`${url}/api/integrations/actions`, {
    method: 'POST',
    headers: { ...b.as('owner', projectId, `u_drain_${++n}`), 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ projectId, provider: 'github', action: 'sync' })
  })

  // A sync that A runs, stuck inside a slow GitHub call when A is told to stop.
  b.sim.setScenario('github', github, 'slow', { delayMs: 20_000, branch: 'release-train' })
  let held: Action | undefined
  for (let attempt = 0; attempt < 10 && !held; attempt++) {
    const response = await post(a.url)
    t.equal(response.status, 202, 'a sync accepted by A')
    const action = await response.json() as Action
    accepted.push(action.id)
    const claimedBy = await runnerOf(b.app.db, action.id)
    // B took it: it finishes there in its own time; try again.
    if (claimedBy !== b.app.actions.worker) held = action
  }
  if (!held) throw new Error('instance A never took a sync')

  // SIGTERM. A reports not-ready at once and keeps serving through the grace.
  const exited = new Promise<number | null>((resolve) => a.process.once('exit', (code) => resolve(code)))
  a.process.kill('SIGTERM')
  await eventually(async () => (await fetch(`${a.url}/readyz`)).status === 503, 'A reports not ready')
  const readiness = await (await fetch(`${a.url}/readyz`)).json() as { status: string }
  t.equal(readiness.status, 'draining', 'A: /readyz 503 draining')
  const during = await post(a.url)
  t.equal(during.status, 202, 'A still accepts work during the grace')
  b.sim.setScenario('github', github, 'healthy', { branch: 'release-train' })
  // The balancer takes A out; new work goes to B while A drains.
  target = 'b'
  const viaB = await post(b.url)
  t.equal(viaB.status, 202, 'B accepts work while A drains')

  const code = await exited
  t.equal(code, 0, 'A exited cleanly (exit code 0)', code === 0 ? {} : { diagnostic: true, logs: a.logs.slice(-12) })
  const after = await post(b.url)
  t.equal(after.status, 202, 'B accepts work after A is gone')

  // The action A was running when it stopped: handed back, taken over by B long before its lease ends.
  t.match(await finished(held.id), { status: 'succeeded', attempts: 2 }, 'the sync A was running was handed back and ran again on B')
  for (const response of [during, viaB, after]) accepted.push((await response.json() as Action).id)
  for (const id of accepted) t.match(await finished(id), { status: 'succeeded' }, `sync ${id} succeeded`)

  // The client saw every action event of the log, in order, once, across the move.
  const logged = (await b.app.db.selectFrom('integration_events').select('seq').where('project_id', '=', projectId).where('type', '=', 'action').orderBy('seq').execute())
    .map((row) => Number(row.seq))
  await eventually(() => received.length >= logged.length, `the client caught up (${received.length} of ${logged.length} action events)`)
  t.same(received.map((event) => event.id), logged, 'every action event of the log, in id order, none twice')
  t.equal(connects[0], 'a:-', 'the stream started on A')
  t.equal(connects.length, 2, `one reconnect (${connects.join(' ')})`)
  t.match(connects[1], /^b:\d+$/, 'it resumed on B with its last event id')
  const closedByShutdown = a.logs.some((line) => line.includes('shutting down: draining'))
  t.ok(closedByShutdown, 'A logged the drain')
})
