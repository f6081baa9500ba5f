import t, { type Test } from 'tap'
import { createHmac, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { REAL_BACKENDS_PROBLEM, realOnly } from '../helper.js'
import { startCluster, type Cluster } from '../support/cluster.js'
import { LINK_CONFIGS } from '../support/status-app.js'
import type { Instance } from '../support/instance.js'
import type { FaultPoint } from '../../src/lib/fault-points.js'
import type { Action } from '../../src/schemas/action.js'

const skip = realOnly(REAL_BACKENDS_PROBLEM)

// Short leases so each window answers in seconds; the test reads the real lease from the rows.
const IDEMPOTENCY_LEASE_MS = 2000
const ACTION_LEASE_MS = 1000
const PROVIDER_TIMEOUT_MS = 1000
const WEBHOOK_SECRET = 'crash-window-webhook-secret'
/** The issue's bound: a retrying client has its answer before the lease has run out plus this. */
const BOUND_MS = 2000

interface Answer { status: number, body: any, replayed: boolean, retryAfter: number, sentAt: number, at: number }

/** One POST of the action, as a client sees it: an answer, or the connection dying under it. */
async function postAction (instance: Instance, headers: Record<string, string>, key: string, body: Record<string, unknown>): Promise<Answer | 'connection lost'> {
  const sentAt = Date.now()
  try {
    const response = await fetch(`${instance.url}/api/integrations/actions`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body)
    })
    return { status: response.status, body: await response.json(), replayed: response.headers.get('idempotent-replayed') === 'true', retryAfter: Number(response.headers.get('retry-after') ?? 0), sentAt, at: Date.now() }
  } catch {
    return 'connection lost'
  }
}

/**
 * A client that keeps its Idempotency-Key: retries on `instance`, waiting as Retry-After says,
 * until it gets a 202. Every answer it got, in order.
 */
async function retryUntilAccepted (instance: Instance, headers: Record<string, string>, key: string, body: Record<string, unknown>) {
  const answers: Answer[] = []
  for (let i = 0; i < 60; i++) {
    const answer = await postAction(instance, headers, key, body)
    if (answer === 'connection lost') throw new Error(`${instance.url} dropped a retry`)
    answers.push(answer)
    if (answer.status === 202) return answers
    if (answer.status !== 409) throw new Error(`unexpected ${answer.status}: ${JSON.stringify(answer.body)}`)
    await sleep(answer.retryAfter * 1000)
  }
  throw new Error('never accepted')
}

/** The instance's process exit, as a time (the crash), once it happens. */
function deathOf (instance: Instance) {
  return new Promise<number>((resolve) => {
    if (!instance.running) resolve(Date.now())
    else instance.process.once('exit', () => resolve(Date.now()))
  })
}

const diedAt = (instance: Instance, point: FaultPoint) =>
  instance.logs.some((line) => line.includes(`"faultPoint":"${point}"`))

/**
 * The action's events in the log, in log order: the story a stream client is told, as
 * `status/attempt`, progress reports (more events of the same status and attempt) folded in.
 */
async function story (c: Cluster, projectId: string, actionId: string) {
  const rows = await c.db.selectFrom('integration_events').select(['seq', 'payload'])
    .where('project_id', '=', projectId).where('type', '=', 'action')
    .where(sql<string>`payload ->> 'id'`, '=', actionId)
    .orderBy('seq').execute()
  const seqs = rows.map((row) => Number(row.seq))
  const steps = rows.map((row) => `${(row.payload as Action).status}/${(row.payload as Action).attempts}`)
  return { steps: steps.filter((step, i) => step !== steps[i - 1]), increasing: seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!) }
}

/** Measured times, printed at the end (docs/operations.md quotes them). */
const figures: string[] = []
const figure = (t: Test, line: string) => { figures.push(line); t.comment(line) }

t.test('every crash window of the action path: a retrying client gets its answer within the lease plus 2 s, the provider is called at most once, the log tells the story in order', { skip, timeout: 900_000 }, async (t) => {
  const c = await startCluster(t, {
    size: 2,
    env: {
      IDEMPOTENCY_LEASE_MS: String(IDEMPOTENCY_LEASE_MS),
      ACTION_LEASE_MS: String(ACTION_LEASE_MS),
      PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET
    },
    instanceEnv: [{ FAULT_POINT: 'after-key-claim' }]
  })
  const [a, b] = c.instances as [Instance, Instance]
  const projectId = 'p_crash_windows'
  await c.link(projectId, 'vercel')
  const deploy = { projectId, provider: 'vercel', action: 'deploy', params: { target: 'preview' } }
  const vercelPosts = () => c.sim.callCount({ provider: 'vercel', method: 'POST' })
  let users = 0
  const client = () => c.as('owner', projectId, `u_crash_${++users}`)

  /** A new client posts a deploy to A, armed at `point`: it gets no answer, and A dies there. */
  async function killOnPostAt (t: Test, point: FaultPoint, death: string) {
    const headers = client()
    const key = randomUUID()
    const died = deathOf(a)
    const before = vercelPosts()
    t.equal(await postAction(a, headers, key, deploy), 'connection lost', 'the client got no answer from A')
    const crash = await died
    t.ok(diedAt(a, point), death)
    return { headers, key, before, crash }
  }

  await t.test('1. after the key claim, before the action is stored', async (t) => {
    const { headers, key, before, crash } = await killOnPostAt(t, 'after-key-claim', 'A died at the key claim')
    const claim = await c.db.selectFrom('action_idempotency_keys').select(['action_id', 'lease_until', 'claimed_by']).where('idempotency_key', '=', key).executeTakeFirstOrThrow()
    t.equal(claim.action_id, null, 'the key is claimed with no action')
    const leaseEnd = claim.lease_until.getTime()

    const answers = await retryUntilAccepted(b, headers, key, deploy)
    const accepted = answers.at(-1)!
    t.notOk(accepted.replayed, 'the retry took the expired claim over and was answered as a first request')
    t.ok(answers.slice(0, -1).every((answer) => answer.status === 409 && answer.body.code === 'IDEMPOTENCY_REQUEST_IN_FLIGHT' && answer.retryAfter === 1), '409 with Retry-After until then')
    t.ok(answers.slice(0, -1).every((answer) => answer.sentAt < leaseEnd + 50), 'only retries sent while the claim was alive got 409')
    t.ok(accepted.sentAt < leaseEnd + BOUND_MS, 'the retry that got the answer was sent (as Retry-After told) before the lease expiry plus 2 s')
    figure(t, `after-key-claim: 202 after ${accepted.at - crash} ms from the crash (lease ${IDEMPOTENCY_LEASE_MS} ms; ${accepted.at - leaseEnd} ms after the lease ran out; ${answers.length - 1} × 409 before it)`)

    const replay = await postAction(b, headers, key, deploy)
    t.match(replay, { status: 202, replayed: true, body: { id: accepted.body.id } }, 'from then on, the replay')
    t.match(await c.settled(accepted.body.id), { status: 'succeeded', attempts: 1 })
    t.equal(vercelPosts() - before, 1, 'the deploy reached Vercel once')
    const actions = await c.db.selectFrom('integration_actions').select('id').where('idempotency_key', '=', key).execute()
    t.equal(actions.length, 1, 'one action for the key')
    t.same(await story(c, projectId, accepted.body.id), { steps: ['pending/0', 'running/1', 'succeeded/1'], increasing: true }, 'the log: pending, running (B), succeeded; nothing from A')
  })

  await t.test('2. after the action is stored, before the 202 is written', async (t) => {
    await a.restart({ FAULT_POINT: 'after-action-stored' })
    const { headers, key, before, crash } = await killOnPostAt(t, 'after-action-stored', 'A died after storing the action')
    const answers = await retryUntilAccepted(b, headers, key, deploy)
    const replay = answers.at(-1)!
    t.equal(answers.length, 1, 'the first retry is answered')
    t.ok(replay.replayed, 'with the stored action, replayed')
    figure(t, `after-action-stored: replayed 202 after ${replay.at - crash} ms from the crash`)
    const done = await c.settled(replay.body.id)
    t.match(done, { status: 'succeeded', attempts: 1 }, 'B ran the action A had stored, once')
    t.equal(vercelPosts() - before, 1, 'the deploy reached Vercel once')
    t.same(await story(c, projectId, replay.body.id), { steps: ['pending/0', 'running/1', 'succeeded/1'], increasing: true }, 'the log: pending (A), running (B), succeeded')
  })

  /** Sends deploys to A until A's runner is the one that takes one (and dies at `point`). */
  async function killRunnerAt (t: Test, point: FaultPoint) {
    await a.restart({ FAULT_POINT: point })
    const died = deathOf(a)
    for (let attempt = 0; attempt < 8; attempt++) {
      const headers = client()
      const key = randomUUID()
      const before = vercelPosts()
      const first = await postAction(a, headers, key, deploy)
      const row = async () => c.db.selectFrom('integration_actions').select(['id', 'status']).where('idempotency_key', '=', key).executeTakeFirst()
      // Either A dies at the point, or B's runner took the action first and finishes it.
      for (let i = 0; i < 400 && a.running; i++) {
        const action = await row()
        if (action && (action.status === 'succeeded' || action.status === 'failed')) break
        await sleep(25)
      }
      if (a.running) {
        t.comment(`attempt ${attempt + 1}: B's runner took the action first; again`)
        continue
      }
      const crash = await died
      t.ok(diedAt(a, point), `A's runner died at ${point}`)
      return { headers, key, before, first, crash }
    }
    throw new Error(`A's runner never took an action (${point})`)
  }

  await t.test('3. while the executor runs (its lease is handed over)', async (t) => {
    const { headers, key, before, crash } = await killRunnerAt(t, 'before-executor-run')
    const answers = await retryUntilAccepted(b, headers, key, deploy)
    const replay = answers.at(-1)!
    t.ok(answers.length === 1 && replay.replayed, 'the retry on B is answered at once with the replay')
    t.equal(replay.body.status, 'running', 'which shows the action running (under A\'s lease)')
    const done = await c.settled(replay.body.id)
    const final = Date.now()
    t.match(await c.db.selectFrom('integration_actions').selectAll().where('id', '=', replay.body.id).executeTakeFirstOrThrow(), { status: 'failed', attempts: 2, error: { code: 'interrupted' } },
      'taken over by B after the lease; a deploy is not repeated: failed as interrupted')
    t.equal(done.status, 'failed')
    t.equal(vercelPosts() - before, 0, 'Vercel was never called (A died before the call)')
    t.same(await story(c, projectId, replay.body.id), { steps: ['pending/0', 'running/1', 'running/2', 'failed/2'], increasing: true }, 'the log: pending, running (A), running (B), failed')
    figure(t, `before-executor-run: replayed 202 after ${replay.at - crash} ms; finished action after ${final - crash} ms (action lease ${ACTION_LEASE_MS} ms)`)
  })

  await t.test('4. after the provider call, before the result is stored', async (t) => {
    const { headers, key, before, crash } = await killRunnerAt(t, 'after-provider-call')
    const answers = await retryUntilAccepted(b, headers, key, deploy)
    const replay = answers.at(-1)!
    t.ok(answers.length === 1 && replay.replayed, 'the retry on B is answered at once with the replay')
    await c.settled(replay.body.id)
    const final = Date.now()
    t.match(await c.db.selectFrom('integration_actions').selectAll().where('id', '=', replay.body.id).executeTakeFirstOrThrow(), { status: 'failed', attempts: 2, error: { code: 'interrupted', message: /check the provider/ } },
      'B does not deploy again: failed as interrupted, telling the user to check Vercel')
    t.equal(vercelPosts() - before, 1, 'the deploy reached Vercel exactly once')
    t.same(await story(c, projectId, replay.body.id), { steps: ['pending/0', 'running/1', 'running/2', 'failed/2'], increasing: true }, 'the log: pending, running (A, its progress), running (B), failed')
    figure(t, `after-provider-call: replayed 202 after ${replay.at - crash} ms; finished action after ${final - crash} ms (action lease ${ACTION_LEASE_MS} ms)`)
  })

  await t.test('5. a webhook delivery claimed, its refresh not done', async (t) => {
    await a.restart({ FAULT_POINT: 'after-webhook-claim' })
    const token = await c.link(projectId, 'github')
    const { owner, repo } = LINK_CONFIGS.github
    const payload = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: `${owner}/${repo}` } })
    const headers = {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': 'sha256=' + createHmac('sha256', WEBHOOK_SECRET).update(payload).digest('hex')
    }
    const deliver = async (instance: Instance) => {
      const sentAt = Date.now()
      const response = await fetch(`${instance.url}/api/webhooks/github`, { method: 'POST', headers, body: payload })
      return { status: response.status, body: await response.json() as any, retryAfter: Number(response.headers.get('retry-after') ?? 0), sentAt, at: Date.now() }
    }
    const died = deathOf(a)
    await t.rejects(deliver(a), 'the provider got no answer from A')
    const crash = await died
    t.ok(diedAt(a, 'after-webhook-claim'), 'A died after claiming the delivery')
    const claim = await c.db.selectFrom('webhook_deliveries').select(['lease_until', 'handled_at']).where('delivery_id', '=', headers['x-github-delivery']).executeTakeFirstOrThrow()
    t.equal(claim.handled_at, null, 'the delivery is claimed, not handled')
    const leaseEnd = claim.lease_until!.getTime()
    const calls = c.sim.callCount({ provider: 'github', token })
    // The provider redelivers to B, honouring Retry-After.
    const answers = []
    for (let i = 0; i < 30; i++) {
      const answer = await deliver(b)
      answers.push(answer)
      if (answer.status !== 409) break
      await sleep(answer.retryAfter * 1000)
    }
    const handled = answers.at(-1)!
    t.ok(answers.slice(0, -1).every((answer) => answer.body.code === 'WEBHOOK_DELIVERY_IN_FLIGHT'), 'not acknowledged while A\'s claim was alive')
    t.same(handled.body, { received: true, duplicate: false, refreshed: 1 }, 'then taken over and handled, not ignored as a duplicate')
    t.ok(handled.sentAt < leaseEnd + BOUND_MS, 'by the redelivery sent (as Retry-After told) before the lease expiry plus 2 s')
    t.ok(c.sim.callCount({ provider: 'github', token }) > calls, 'the link was re-checked')
    t.same((await deliver(b)).body, { received: true, duplicate: true, refreshed: 0 }, 'a later redelivery is a duplicate')
    figure(t, `after-webhook-claim: handled after ${handled.at - crash} ms from the crash (delivery lease ${2 * PROVIDER_TIMEOUT_MS + 2000} ms; ${handled.at - leaseEnd} ms after the lease ran out; ${answers.length - 1} × 409 before it)`)
  })

  await t.test('two retries racing on two instances for one expired claim: exactly one wins', async (t) => {
    await a.restart({ FAULT_POINT: '' })
    for (let round = 0; round < 3; round++) {
      const headers = client()
      const key = randomUUID()
      // A claim whose holder died, already expired: both instances get the retry at once.
      const fingerprint = await c.db.selectFrom('integration_actions').select('request_fingerprint').where('project_id', '=', projectId).where('action', '=', 'deploy').executeTakeFirstOrThrow()
      await c.db.insertInto('action_idempotency_keys').values({
        project_id: projectId, user_id: `u_crash_${users}`, idempotency_key: key, request_fingerprint: fingerprint.request_fingerprint, claimed_by: 'worker-dead/r', lease_until: new Date(Date.now() - 1000)
      }).execute()
      const answers = await Promise.all([postAction(a, headers, key, deploy), postAction(b, headers, key, deploy)]) as Answer[]
      const winners = answers.filter((answer) => answer.status === 202 && !answer.replayed)
      t.equal(winners.length, 1, `round ${round + 1}: one instance took the claim over (${answers.map((answer) => `${answer.status}${answer.replayed ? ' replayed' : ''}`).join(', ')})`)
      const loser = answers.find((answer) => answer !== winners[0])!
      t.ok(loser.status === 409 || (loser.status === 202 && loser.replayed), 'the other got 409 or the replay')
      const after = await retryUntilAccepted(loser === answers[0] ? a : b, headers, key, deploy)
      t.match(after.at(-1), { replayed: true, body: { id: winners[0]!.body.id } }, 'and then the replay')
      t.equal((await c.db.selectFrom('integration_actions').select('id').where('idempotency_key', '=', key).execute()).length, 1, 'one action')
      await c.settled(winners[0]!.body.id)
    }
  })
})

t.teardown(() => {
  if (figures.length > 0) process.stdout.write(`\n# crash windows, measured:\n${figures.map((line) => `#   ${line}`).join('\n')}\n`)
})
