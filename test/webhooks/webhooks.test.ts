import t from 'tap'
import { createHmac, randomUUID } from 'node:crypto'
import { eachBackend } from '../helper.js'
import { statusApp } from '../support/status-app.js'
import type { StatusEnvelope } from '../../src/schemas/integration-status.js'

const SECRETS = { GITHUB_WEBHOOK_SECRET: 'gh-webhook-secret', VERCEL_WEBHOOK_SECRET: 'vc-webhook-secret', SANITY_WEBHOOK_SECRET: 'sn-webhook-secret' }

eachBackend(t, 'signed provider webhooks refresh the matching links', async (t, backend) => {
  const s = await statusApp(t, { backend, env: SECRETS })
  const deliver = (provider: string, payload: string, headers: Record<string, string>) =>
    s.app.inject({ method: 'POST', url: `/api/webhooks/${provider}`, headers: { 'content-type': 'application/json', ...headers }, payload })

  t.test('GitHub push: verified, the repository\'s links re-checked, a redelivery ignored', async (t) => {
    const token = await s.link('p_wh1', 'github', 'healthy', { config: { owner: 'Acme', repo: 'site', branch: 'main' } })
    await s.link('p_wh_other', 'github', 'healthy', { config: { owner: 'acme', repo: 'other', branch: 'main' } })
    t.match((await s.status('p_wh1')).json<StatusEnvelope>().items[0], { status: 'connected' })
    s.sim.setScenario('github', token, 'stale', { branch: 'main' }) // what the push changed at GitHub
    const payload = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/site', pushed_at: 1795700000 } })
    const signature = 'sha256=' + createHmac('sha256', SECRETS.GITHUB_WEBHOOK_SECRET).update(payload).digest('hex')
    const delivery = randomUUID()
    const headers = { 'x-github-event': 'push', 'x-github-delivery': delivery, 'x-hub-signature-256': signature }
    const first = await deliver('github', payload, headers)
    t.equal(first.statusCode, 202)
    t.same(first.json(), { received: true, duplicate: false, refreshed: 1 }, 'only the repository\'s link, matched case-insensitively')
    t.match((await s.status('p_wh1')).json<StatusEnvelope>().items[0], { status: 'warning', summary: /No push in 1[12] days/ }, 'the new state, at once')
    const calls = s.sim.callCount({ provider: 'github' })
    const again = await deliver('github', payload, headers)
    t.same(again.json(), { received: true, duplicate: true, refreshed: 0 })
    t.equal(s.sim.callCount({ provider: 'github' }), calls, 'a replayed delivery changes nothing')
  })

  t.test('a bad or missing signature is 401 and changes nothing', async (t) => {
    await s.link('p_wh2', 'github', 'healthy', { config: { owner: 'acme', repo: 'web', branch: 'main' } })
    await s.status('p_wh2')
    const calls = s.sim.callCount({ provider: 'github' })
    const payload = JSON.stringify({ repository: { full_name: 'acme/web' } })
    const forged = await deliver('github', payload, { 'x-github-delivery': randomUUID(), 'x-hub-signature-256': 'sha256=' + createHmac('sha256', 'wrong').update(payload).digest('hex') })
    t.equal(forged.statusCode, 401)
    t.equal(forged.json().code, 'WEBHOOK_SIGNATURE_INVALID')
    t.equal((await deliver('github', payload, { 'x-github-delivery': randomUUID() })).statusCode, 401, 'unsigned')
    const tampered = await deliver('github', payload.replace('web', 'WEB'), {
      'x-github-delivery': randomUUID(), 'x-hub-signature-256': 'sha256=' + createHmac('sha256', SECRETS.GITHUB_WEBHOOK_SECRET).update(payload).digest('hex')
    })
    t.equal(tampered.statusCode, 401, 'a body changed after signing')
    t.equal(s.sim.callCount({ provider: 'github' }), calls, 'nothing was re-checked')
    const rows = await s.app.db.selectFrom('webhook_deliveries').select('delivery_id').where('provider', '=', 'github').execute()
    t.equal(rows.length, 1, 'no delivery recorded from them')
  })

  t.test('Vercel and Sanity', async (t) => {
    await s.link('p_wh3', 'vercel', 'healthy', { config: { projectId: 'prj_hooked' } })
    const vercel = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'deployment.succeeded', createdAt: Date.now(), payload: { project: { id: 'prj_hooked' }, deployment: { id: 'dpl_1' } } })
    const vsig = createHmac('sha1', SECRETS.VERCEL_WEBHOOK_SECRET).update(vercel).digest('hex')
    t.same((await deliver('vercel', vercel, { 'x-vercel-signature': vsig })).json(), { received: true, duplicate: false, refreshed: 1 })
    t.equal((await deliver('vercel', vercel, { 'x-vercel-signature': vsig.replace(/.$/, (c) => (c === '0' ? '1' : '0')) })).statusCode, 401)

    await s.link('p_wh4', 'sanity', 'healthy', { config: { projectId: 'hookedsanity', dataset: 'production' } })
    const sanity = JSON.stringify({ _id: 'doc1', _type: 'post' })
    const stamp = String(Date.now())
    const ssig = createHmac('sha256', SECRETS.SANITY_WEBHOOK_SECRET).update(`${stamp}.${sanity}`).digest('base64url')
    const sanityHeaders = { 'sanity-webhook-signature': `t=${stamp},v1=${ssig}`, 'sanity-project-id': 'hookedsanity', 'idempotency-key': randomUUID(), 'sanity-operation': 'update' }
    t.same((await deliver('sanity', sanity, sanityHeaders)).json(), { received: true, duplicate: false, refreshed: 1 })
    t.same((await deliver('sanity', sanity, sanityHeaders)).json(), { received: true, duplicate: true, refreshed: 0 }, 'a redelivery')
  })

  t.test('a delivery whose handler died is handled again on redelivery; one still being handled is 409', async (t) => {
    const token = await s.link('p_wh5', 'github', 'healthy', { config: { owner: 'acme', repo: 'lease', branch: 'main' } })
    const payload = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/lease' } })
    const signature = 'sha256=' + createHmac('sha256', SECRETS.GITHUB_WEBHOOK_SECRET).update(payload).digest('hex')
    const delivery = randomUUID()
    const headers = { 'x-github-event': 'push', 'x-github-delivery': delivery, 'x-hub-signature-256': signature }
    // An instance claimed the delivery and is still inside its lease, refreshing.
    await s.app.db.insertInto('webhook_deliveries').values({ provider: 'github', delivery_id: delivery, claimed_by: 'alive', lease_until: new Date(Date.now() + 60_000) }).execute()
    const calls = s.sim.callCount({ provider: 'github', token })
    const during = await deliver('github', payload, headers)
    t.equal(during.statusCode, 409, 'not acknowledged while another handler holds it')
    t.equal(during.json().code, 'WEBHOOK_DELIVERY_IN_FLIGHT')
    t.ok(Number(during.headers['retry-after']) >= 1, 'with Retry-After')
    t.equal(s.sim.callCount({ provider: 'github', token }), calls, 'and nothing re-checked')
    // That handler died: its lease runs out with the delivery never marked handled.
    await s.app.db.updateTable('webhook_deliveries').set({ lease_until: new Date(Date.now() - 1000) }).where('delivery_id', '=', delivery).execute()
    const after = await deliver('github', payload, headers)
    t.same(after.json(), { received: true, duplicate: false, refreshed: 1 }, 'the redelivery takes it over and is handled')
    t.ok(s.sim.callCount({ provider: 'github', token }) > calls, 'the link was re-checked')
    const row = await s.app.db.selectFrom('webhook_deliveries').select(['handled_at', 'lease_until']).where('delivery_id', '=', delivery).executeTakeFirstOrThrow()
    t.ok(row.handled_at, 'marked handled')
    t.equal(row.lease_until, null)
    t.same((await deliver('github', payload, headers)).json(), { received: true, duplicate: true, refreshed: 0 }, 'from then on a duplicate')
  })

  t.test('racing redeliveries of an expired claim: exactly one handles it', async (t) => {
    await s.link('p_wh6', 'github', 'healthy', { config: { owner: 'acme', repo: 'race', branch: 'main' } })
    const payload = JSON.stringify({ repository: { full_name: 'acme/race' } })
    const signature = 'sha256=' + createHmac('sha256', SECRETS.GITHUB_WEBHOOK_SECRET).update(payload).digest('hex')
    const delivery = randomUUID()
    await s.app.db.insertInto('webhook_deliveries').values({ provider: 'github', delivery_id: delivery, claimed_by: 'dead', lease_until: new Date(Date.now() - 1000) }).execute()
    const responses = await Promise.all(Array.from({ length: 10 }, () =>
      deliver('github', payload, { 'x-github-event': 'push', 'x-github-delivery': delivery, 'x-hub-signature-256': signature })))
    const handled = responses.filter((r) => r.statusCode === 202 && r.json().duplicate === false)
    t.equal(handled.length, 1, 'one handler')
    t.ok(responses.every((r) => r.statusCode === 409 || (r.statusCode === 202 && (r.json().duplicate === true || r === handled[0]))), 'the others: 409 or duplicate')
  })
})

t.test('without a configured secret every delivery is refused', async (t) => {
  const s = await statusApp(t)
  const response = await s.app.inject({ method: 'POST', url: '/api/webhooks/github', headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' }, payload: '{}' })
  t.equal(response.statusCode, 401)
})
