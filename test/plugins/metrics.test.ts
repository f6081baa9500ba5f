import { randomUUID } from 'node:crypto'
import t from 'tap'
import { eachBackend } from '../helper.js'
import { expectError } from '../support/openapi-ops.js'
import { statusApp } from '../support/status-app.js'

/** /metrics: private on METRICS_PORT, behind METRICS_TOKEN on the public port, and the backlog gauge. */

const TOKEN = 'metrics-token-0123456789abcdef'

t.test('METRICS_TOKEN: the public /metrics needs it', async (t) => {
  const s = await statusApp(t, { env: { METRICS_TOKEN: TOKEN } })
  expectError(t, await s.app.inject({ url: '/metrics' }), 401, 'UNAUTHENTICATED', 'no token')
  expectError(t, await s.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}x` } }), 401, 'UNAUTHENTICATED', 'a wrong token')
  expectError(t, await s.app.inject({ url: '/metrics', headers: { authorization: TOKEN } }), 401, 'UNAUTHENTICATED', 'the token without Bearer')
  expectError(t, await s.app.inject({ url: '/metrics', headers: s.as('owner', 'p_m') }), 401, 'UNAUTHENTICATED', 'a user token')
  const ok = await s.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })
  t.equal(ok.statusCode, 200, 'the token')
  t.match(ok.body, /^http_request_duration_seconds_bucket/m)
  t.notOk(s.logs.join('\n').includes(TOKEN), 'the token is never logged')
})

t.test('METRICS_PORT: /metrics on a second loopback listener only', async (t) => {
  const s = await statusApp(t, { listen: true, env: { METRICS_PORT: '0', METRICS_TOKEN: TOKEN } })
  const privateUrl = s.app.metrics.privateUrl!
  t.match(privateUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, 'bound to loopback (METRICS_HOST default)')
  t.not(new URL(privateUrl).port, new URL(s.url).port, 'another port than the public one')

  const publicAnswer = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
  t.equal(publicAnswer.status, 404, 'the public port no longer serves /metrics')
  t.equal((await publicAnswer.json() as { code: string }).code, 'ROUTE_NOT_FOUND')

  t.equal((await fetch(privateUrl)).status, 401, 'the private listener still wants the token when one is set')
  const scraped = await fetch(privateUrl, { headers: { authorization: `Bearer ${TOKEN}` } })
  t.equal(scraped.status, 200)
  t.match(scraped.headers.get('content-type'), /^text\/plain/)
  const text = await scraped.text()
  for (const name of ['http_request_duration_seconds', 'sse_streams_open', 'actions_pending', 'jwks_keys', 'jwks_refresh_failures_total', 'status_cache_lookups_total']) {
    t.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exposed`)
  }
  const other = await fetch(privateUrl.replace('/metrics', '/api/integrations/status?projectId=p_m'), { headers: s.as('owner', 'p_m') })
  t.equal(other.status, 404, 'nothing but /metrics on the private listener')
  await s.app.close()
  await t.rejects(fetch(privateUrl), 'the private listener closes with the app')
})

eachBackend(t, 'actions_pending: actions pending or running, sampled at scrape', async (t, backend) => {
  const s = await statusApp(t, { backend })
  await s.link('p_backlog', 'github')
  const gauge = async () => Number(/^actions_pending (\d+)$/m.exec((await s.app.inject({ url: '/metrics' })).body)?.[1])
  t.equal(await gauge(), 0, 'nothing pending')
  // GitHub push goes to the host queue: pending until a host worker takes it (none here).
  for (const message of ['one', 'two']) {
    const accepted = await s.app.inject({
      method: 'POST',
      url: '/api/integrations/actions',
      headers: { ...s.as('owner', 'p_backlog'), 'idempotency-key': randomUUID() },
      payload: { projectId: 'p_backlog', provider: 'github', action: 'push', params: { message } }
    })
    t.equal(accepted.statusCode, 202)
  }
  t.equal(await gauge(), 2, 'two pending')
})
