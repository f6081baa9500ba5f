import t from 'tap'
import { createHmac, randomUUID } from 'node:crypto'
import { eachBackend } from '../helper.js'
import { LINK_CONFIGS, statusApp } from '../support/status-app.js'
import { openRawStream, type RawStream } from '../support/sse.js'
import { eventually, json } from '../support/events.js'
import { createContractChecker } from '../contract/contract-checker.js'
import type { StatusEnvelope } from '../../src/schemas/integration-status.js'

const eventsUrl = (base: string, projectId: string) => `${base}/api/integrations/events?projectId=${projectId}`
const statusEvent = (stream: RawStream, match: (envelope: StatusEnvelope) => boolean = () => true) =>
  stream.until((m) => m.event === 'status' && match(json(m))).then((m) => ({ id: Number(m.id), envelope: json<StatusEnvelope>(m) }))
const github = (envelope: StatusEnvelope) => envelope.items.find((item) => item.key === 'github')!

eachBackend(t, 'status events', async (t, backend) => {
  t.test('per role: the owner sees details, the viewer a redacted envelope with the same hash as its GET', async (t) => {
    const s = await statusApp(t, { backend, listen: true })
    const checker = await createContractChecker()
    await s.link('p_roles', 'github')
    const owner = await openRawStream(eventsUrl(s.url, 'p_roles'), s.as('owner', 'p_roles'))
    const viewer = await openRawStream(eventsUrl(s.url, 'p_roles'), s.as('viewer', 'p_roles'))
    t.teardown(() => { owner.close(); viewer.close() })
    const ownerEvent = await statusEvent(owner, (e) => github(e).status === 'connected')
    const viewerEvent = await statusEvent(viewer, (e) => github(e).status === 'connected')
    for (const { envelope } of [ownerEvent, viewerEvent]) checker.check('GET', '/api/integrations/status', 200, envelope)
    t.same(checker.violations, [], 'both are StatusEnvelopes as openapi.yaml describes them')
    for (const message of [...owner.messages, ...viewer.messages]) checker.checkStreamMessage(message)
    t.same(checker.violations, [], 'every message so far (ready, status) is a StreamEvent as openapi.yaml describes it')
    t.ok(owner.messages.some((m) => m.event === 'ready') && owner.messages.some((m) => m.event === 'status'), 'ready and status were checked')
    t.match(JSON.stringify(ownerEvent.envelope), LINK_CONFIGS.github.branch, 'the owner sees the branch')
    for (const secret of Object.values(LINK_CONFIGS.github)) {
      t.notMatch(JSON.stringify(viewerEvent.envelope), secret, `the viewer never sees "${secret}"`)
    }
    t.not(ownerEvent.envelope.hash, viewerEvent.envelope.hash)
    const viewerGet = await s.status('p_roles', 'viewer')
    t.equal(viewerGet.headers.etag, `W/"${viewerEvent.envelope.hash}"`, 'the stream and the GET agree on what the viewer sees')
  })

  t.test('while a stream is open, integrations are refreshed on the TTL and a change is pushed without any request', async (t) => {
    const s = await statusApp(t, { backend, listen: true, env: { STATUS_TTL_MS: '150', EVENTS_REFRESH_TICK_MS: '30', STATUS_EVENT_MIN_INTERVAL_MS: '0' } })
    const token = await s.link('p_bg', 'github')
    const stream = await openRawStream(eventsUrl(s.url, 'p_bg'), s.as('owner', 'p_bg'))
    t.teardown(stream.close)
    const first = await statusEvent(stream, (e) => github(e).status === 'connected')
    // Several background checks with nothing changed: no event for them.
    const calls = s.sim.callCount({ provider: 'github' })
    await eventually(() => s.sim.callCount({ provider: 'github' }) >= calls + 6, 'background checks')
    const quiet = await s.app.events.log.after('p_bg', first.id, 100)
    t.same(quiet.filter((e) => e.type === 'status'), [], 'checks that change nothing publish nothing')

    s.sim.setScenario('github', token, 'revoked')
    const changed = await statusEvent(stream, (e) => github(e).status === 'error')
    t.ok(changed.id > first.id)
    t.match(github(changed.envelope), { problem: { code: 'oauth_revoked' } })
    t.equal(s.logs.filter((line) => line.includes('"url":"/api/integrations/status')).length, 0, 'no client asked for the status')
  })

  t.test('webhooks: a valid delivery refreshes and publishes; a bad signature changes nothing', async (t) => {
    const secret = 'gh-webhook-secret'
    // A long TTL and tick: only the webhook can cause a check.
    const s = await statusApp(t, { backend, listen: true, env: { GITHUB_WEBHOOK_SECRET: secret, STATUS_TTL_MS: '3600000', EVENTS_REFRESH_TICK_MS: '300000' } })
    const config = { owner: 'acme', repo: 'hooked', branch: 'main' }
    const token = await s.link('p_hook', 'github', 'healthy', { config })
    const stream = await openRawStream(eventsUrl(s.url, 'p_hook'), s.as('owner', 'p_hook'))
    t.teardown(stream.close)
    await statusEvent(stream, (e) => github(e).status === 'connected')
    s.sim.setScenario('github', token, 'stale', { branch: 'main' })
    const calls = s.sim.callCount({ provider: 'github' })
    const head = await s.app.events.log.head('p_hook')
    const payload = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/hooked' } })
    const sign = (key: string) => 'sha256=' + createHmac('sha256', key).update(payload).digest('hex')
    const deliver = (signature: string) => s.app.inject({
      method: 'POST',
      url: '/api/webhooks/github',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signature },
      payload
    })

    const forged = await deliver(sign('not-the-secret'))
    t.equal(forged.statusCode, 401)
    t.equal(s.sim.callCount({ provider: 'github' }), calls, 'no check')
    t.equal(await s.app.events.log.head('p_hook'), head, 'no event')

    t.equal((await deliver(sign(secret))).statusCode, 202)
    const pushed = await statusEvent(stream, (e) => github(e).status === 'warning')
    t.ok(pushed.id > head)
    t.match(github(pushed.envelope).summary, /No push in/)
  })
})
