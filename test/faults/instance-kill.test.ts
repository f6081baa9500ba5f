import t from 'tap'
import { REAL_BACKENDS_PROBLEM, realOnly, testEnv } from '../helper.js'
import { statusApp } from '../support/status-app.js'
import { startInstance } from '../support/instance.js'
import { runnerOf } from '../support/cluster.js'
import { providerEnv } from '../simulator/simulator.js'
import { settled } from '../support/actions.js'
import type { Action } from '../../src/schemas/action.js'

const skip = realOnly(REAL_BACKENDS_PROBLEM)

t.test('an instance killed (SIGKILL) while it runs actions: none is lost, none runs twice', { skip }, async (t) => {
  const lease = { ACTION_LEASE_MS: '1000' }
  const b = await statusApp(t, { backend: 'real', listen: true, env: lease })
  const a = await startInstance(t, testEnv('real', {
    DATABASE_SCHEMA: b.schema!,
    REDIS_PREFIX: b.redisPrefix!,
    ...providerEnv(b.sim.baseUrls),
    ...lease
  }))
  const projectId = 'p_killed_worker'
  // Every provider answer takes seconds: whoever runs the actions is still inside them when killed.
  const github = await b.link(projectId, 'github', 'slow', { delayMs: 4000 })
  const vercel = await b.link(projectId, 'vercel', 'slow', { delayMs: 4000 })
  t.ok(github && vercel)

  // Sent to A, whose runner is nudged at once; B's only polls. Retried until A holds both.
  const onA = async (provider: string, action: string, params: Record<string, unknown> = {}): Promise<Action> => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const response = await fetch(`${a.url}/api/integrations/actions`, {
        method: 'POST',
        headers: { ...b.as('owner', projectId, `u_kill_${attempt}`), 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
        body: JSON.stringify({ projectId, provider, action, params })
      })
      t.equal(response.status, 202)
      const accepted = await response.json() as Action
      const claimedBy = await runnerOf(b.app.db, accepted.id)
      if (claimedBy !== b.app.actions.worker) return accepted
      await settled(b, accepted.id) // B took it first: let it finish and try again
    }
    throw new Error('instance A never took an action')
  }
  const deploy = await onA('vercel', 'deploy', { target: 'preview' })
  const sync = await onA('github', 'sync')
  // Both are inside their slow provider calls (each answer takes seconds) when A dies.
  await a.kill()

  // B takes both over once A's 1 s lease has run out.
  const rerun = await settled(b, sync.id)
  t.match(rerun, { status: 'succeeded', attempts: 2 }, 'the sync (safe to repeat) ran again on B and succeeded')
  const interrupted = await settled(b, deploy.id)
  t.match(interrupted, { status: 'failed', error: { code: 'interrupted' } }, 'the deploy (not safe to repeat) failed as interrupted')
  t.ok(b.sim.callCount({ provider: 'vercel', method: 'POST' }) <= 1, 'the deploy reached Vercel at most once')
  const steps = (await b.app.db.selectFrom('integration_action_transitions').select('status').where('action_id', '=', deploy.id).orderBy('id').execute()).map((row) => row.status)
  t.equal(steps[0], 'pending')
  t.equal(steps.at(-1), 'failed')
  t.ok(steps.filter((step) => step === 'running').length >= 2, 'claimed by A, then taken over by B: every step recorded')
})
