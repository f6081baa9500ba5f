import t from 'tap'
import { randomUUID } from 'node:crypto'
import { statusApp } from '../support/status-app.js'
import { createIntegrationStatusClient, retryAfterMs, withRetry } from '../../clients/typescript/src/index.js'

const answer = (status: number, headers: Record<string, string> = {}) => ({ response: new Response(null, { status, headers }) })

t.test('retryAfterMs reads delay-seconds and HTTP-dates', async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  t.equal(retryAfterMs(answer(429, { 'retry-after': '7' }).response), 7000)
  t.equal(retryAfterMs(answer(503, { 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }).response, now), 5000)
  t.equal(retryAfterMs(answer(503, { 'retry-after': 'Wed, 31 Dec 2025 00:00:00 GMT' }).response, now), 0, 'a date in the past: now')
  t.equal(retryAfterMs(answer(503, { 'retry-after': 'soon' }).response), undefined)
  t.equal(retryAfterMs(answer(503).response), undefined)
})

t.test('withRetry waits what Retry-After says, a bounded number of times', async (t) => {
  const waits: number[] = []
  const sleep = async (ms: number) => { waits.push(ms) }
  const script = [answer(503, { 'retry-after': '2' }), answer(429), answer(202)]
  const result = await withRetry(async () => script.shift()!, { sleep })
  t.equal(result.response.status, 202)
  t.same(waits, [2000, 1000], 'Retry-After, then the default when it is missing')

  waits.length = 0
  let calls = 0
  const gaveUp = await withRetry(async () => { calls++; return answer(503, { 'retry-after': '1' }) }, { sleep, attempts: 4 })
  t.equal(gaveUp.response.status, 503, 'the last answer comes back')
  t.equal(calls, 4)
  t.same(waits, [1000, 1000, 1000])

  waits.length = 0
  const tooLong = await withRetry(async () => answer(429, { 'retry-after': '3600' }), { sleep, maxWaitMs: 30_000 })
  t.equal(tooLong.response.status, 429, 'a wait beyond maxWaitMs is left to the caller')
  t.same(waits, [])

  const notRetried = await withRetry(async () => answer(409, { 'retry-after': '1' }), { sleep })
  t.equal(notRetried.response.status, 409, 'only the listed statuses')
  t.same(waits, [])
})

t.test('withRetry stops waiting when its signal aborts', async (t) => {
  const controller = new AbortController()
  const pending = withRetry(async () => answer(503, { 'retry-after': '600' }), { signal: controller.signal, maxWaitMs: 3_600_000 })
  controller.abort(new Error('caller gave up'))
  await t.rejects(pending, /caller gave up/)
})

t.test("the service's own 429 carries a Retry-After the helper honours", async (t) => {
  const s = await statusApp(t, { listen: true })
  const projectId = 'p_retry'
  await s.link(projectId, 'github')
  const client = createIntegrationStatusClient({ baseUrl: s.url, token: s.token({ sub: 'u_retry', roles: { [projectId]: 'owner' } }) })
  const create = () => client.POST('/api/integrations/actions', {
    params: { header: { 'Idempotency-Key': randomUUID() } },
    body: { projectId, provider: 'github', action: 'sync' }
  })
  // Five new actions a minute per user and project; the sixth is refused.
  for (let i = 0; i < 5; i++) t.equal((await create()).response.status, 202)
  const waits: number[] = []
  const limited = await withRetry(create, { attempts: 2, maxWaitMs: 120_000, sleep: async (ms) => { waits.push(ms) } })
  t.equal(limited.response.status, 429)
  t.equal(limited.error?.code, 'RATE_LIMITED')
  t.equal(waits.length, 1, 'retried once')
  const header = Number(limited.response.headers.get('retry-after'))
  t.ok(header >= 1 && header <= 60, `Retry-After is within the minute (${header} s)`)
  t.ok(waits[0]! >= 1000 && waits[0]! <= 60_000, 'and the helper waited what it said')
})
