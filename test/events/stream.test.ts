import t from 'tap'
import net from 'node:net'
import { EventSource } from 'eventsource'
import { Agent, fetch as undiciFetch } from 'undici'
import { build, eachBackend } from '../helper.js'
import { openRawStream, type SseMessage } from '../support/sse.js'
import { emit, eventually, ids, json } from '../support/events.js'
import { createContractChecker } from '../contract/contract-checker.js'

const eventsUrl = (base: string, projectId: string, extra = '') => `${base}/api/integrations/events?projectId=${projectId}${extra}`

/** The first stream on a project publishes its status once; after this, ids are the test's own. */
async function statusPublished (base: string, projectId: string, headers: Record<string, string>) {
  const stream = await openRawStream(eventsUrl(base, projectId), headers)
  await stream.until((m) => m.event === 'status')
  stream.close()
}

eachBackend(t, 'GET /api/integrations/events', async (t, backend) => {
  const s = await build(t, { backend, listen: true, env: { SSE_HEARTBEAT_MS: '100', SSE_RETRY_MS: '50', SSE_REPLAY_MAX: '5' } })
  const owner = (projectId: string) => s.as('owner', projectId)

  t.test('the first message gives the retry hint and the position; the status gives a safe position', async (t) => {
    await emit(s.app, 'p_pos', 1)
    await emit(s.app, 'p_pos', 2)
    const stream = await openRawStream(eventsUrl(s.url, 'p_pos'), owner('p_pos'))
    t.teardown(stream.close)
    t.equal(stream.status, 200)
    t.match(stream.headers['content-type'], /^text\/event-stream/)
    t.equal(stream.headers['x-content-type-options'], 'nosniff', 'the hardening headers are kept')
    const ready = await stream.next()
    t.match(ready, { event: 'ready', id: '2', retry: 50 })
    t.same(json(ready), { position: 2 })
    const third = await emit(s.app, 'p_pos', 3)
    t.match(await stream.until((m) => m.event === 'action'), { id: String(third.seq) }, 'then live events')

    const status = await s.app.inject({ url: '/api/integrations/status?projectId=p_pos', headers: owner('p_pos') })
    const position = Number(status.headers['events-position'])
    const head = await s.app.events.log.head('p_pos')
    t.ok(position >= 0 && position <= head, 'never past the log')
    // Streaming from it replays what the snapshot may not reflect yet, and nothing is missed.
    const resumed = await openRawStream(eventsUrl(s.url, 'p_pos', `&lastEventId=${position}`), owner('p_pos'))
    t.teardown(resumed.close)
    await resumed.until((m) => m.id === String(third.seq))
    t.same(ids(resumed.messages), [1, 2, third.seq].filter((n) => n > position))
  })

  t.test('heartbeats arrive at the configured interval', async (t) => {
    const stream = await openRawStream(eventsUrl(s.url, 'p_hb'), owner('p_hb'))
    t.teardown(stream.close)
    const arrivals: number[] = []
    for (let i = 0; i < 4; i++) {
      await stream.until((m) => m.comment === 'hb')
      arrivals.push(performance.now())
    }
    // A lower bound only: timers never fire early, so this cannot flake on a busy machine.
    for (let i = 1; i < arrivals.length; i++) t.ok(arrivals[i]! - arrivals[i - 1]! >= 80, `heartbeat ${i} came about 100 ms after the one before`)
    t.notOk(stream.messages.some((m) => m.comment === undefined && m.event === undefined), 'every other message is an event')
  })

  t.test('resume with Last-Event-ID replays exactly the missed events (raw HTTP)', async (t) => {
    for (let n = 1; n <= 3; n++) await emit(s.app, 'p_resume', n)
    const first = await openRawStream(eventsUrl(s.url, 'p_resume'), owner('p_resume'))
    await first.next()
    const fourth = await emit(s.app, 'p_resume', 4)
    await first.until((m) => m.id === String(fourth.seq))
    first.close()
    const missed = []
    for (let n = 5; n <= 7; n++) missed.push((await emit(s.app, 'p_resume', n)).seq)
    const second = await openRawStream(eventsUrl(s.url, 'p_resume'), { ...owner('p_resume'), 'last-event-id': String(fourth.seq) })
    t.teardown(second.close)
    const ready = await second.next()
    t.match(ready, { event: 'ready' })
    t.equal(ready.id, undefined, 'a resuming client keeps its own id until the replay moves it')
    t.same(json(ready), { position: await s.app.events.log.head('p_resume'), resumedFrom: fourth.seq })
    const live = await emit(s.app, 'p_resume', 8)
    await second.until((m) => m.id === String(live.seq))
    t.same(ids(second.messages), [...missed, live.seq], 'the missed ones, then live, none twice')
    t.same(second.messages.filter((m) => m.event === 'action').map((m) => json(m).params.n), [5, 6, 7, 8])
    t.ok(second.messages.every((m) => m.id === undefined || Number(m.id) > fourth.seq), 'nothing from before the resume id')
  })

  t.test('the eventsource package reconnects by itself and misses nothing', async (t) => {
    const { authorization } = owner('p_es')
    const lastIds: Array<string | null> = []
    let cut: (() => void) | undefined
    // Its own connection pool, destroyed at the end: no keep-alive socket outlives the test.
    const agent = new Agent()
    t.teardown(() => agent.destroy())
    // A fetch that can cut the connection like a network failure would.
    const es = new EventSource(eventsUrl(s.url, 'p_es'), {
      fetch: async (input, init) => {
        const headers = new Headers(init?.headers)
        lastIds.push(headers.get('last-event-id'))
        headers.set('authorization', authorization)
        const response = await undiciFetch(input as string, { ...init, headers, dispatcher: agent } as unknown as Parameters<typeof undiciFetch>[1])
        const reader = response.body!.getReader()
        const body = new ReadableStream({
          start (controller) {
            cut = () => {
              controller.error(new Error('connection cut'))
              reader.cancel().catch(() => {})
            }
          },
          async pull (controller) {
            const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }))
            if (done) controller.close()
            else controller.enqueue(value)
          },
          cancel: () => reader.cancel()
        })
        return new Response(body, { status: response.status, headers: Object.fromEntries(response.headers) })
      }
    })
    t.teardown(() => es.close())
    const received: Array<{ id: string, n: number }> = []
    let wake: () => void = () => {}
    es.addEventListener('action', (event) => {
      received.push({ id: event.lastEventId, n: JSON.parse(event.data).params.n })
      wake()
    })
    const readyOnce = new Promise<void>((resolve) => es.addEventListener('ready', () => resolve(), { once: true }))
    await readyOnce
    const waitFor = async (count: number) => {
      while (received.length < count) await new Promise<void>((resolve) => { wake = resolve })
    }
    const seqs: number[] = []
    for (let n = 1; n <= 3; n++) seqs.push((await emit(s.app, 'p_es', n)).seq)
    await waitFor(3)
    const reconnected = new Promise<void>((resolve) => es.addEventListener('ready', () => resolve(), { once: true }))
    const idBeforeCut = es.readyState === EventSource.OPEN ? received.at(-1)!.id : undefined
    cut!()
    for (let n = 4; n <= 6; n++) seqs.push((await emit(s.app, 'p_es', n)).seq)
    await reconnected
    seqs.push((await emit(s.app, 'p_es', 7)).seq)
    await waitFor(7)
    t.same(received.map((r) => r.n), [1, 2, 3, 4, 5, 6, 7], 'every event once, in order')
    t.same(received.map((r) => Number(r.id)), seqs)
    t.equal(lastIds.length, 2, 'one reconnect')
    t.equal(lastIds[0], null)
    t.ok(Number(lastIds[1]) >= Number(idBeforeCut), 'the reconnect sent the last id it had')
  })

  t.test('an id older than the retention, past the replay cap, or unknown → reset', async (t) => {
    const projectId = 'p_reset'
    await statusPublished(s.url, projectId, owner(projectId))
    const seqs: number[] = []
    for (let n = 1; n <= 3; n++) seqs.push((await emit(s.app, projectId, n)).seq)
    // The retention job with a zero retention: everything so far is "older than kept".
    await s.app.events.log.prune(0)
    seqs.push((await emit(s.app, projectId, 4)).seq)
    const expired = await openRawStream(eventsUrl(s.url, projectId), { ...owner(projectId), 'last-event-id': String(seqs[0]) })
    await expired.next()
    const reset = await expired.next()
    t.match(reset, { event: 'reset', id: String(seqs[3]) })
    t.same(json(reset), { position: seqs[3], reason: 'expired' })
    seqs.push((await emit(s.app, projectId, 5)).seq)
    t.match(await expired.until((m) => m.event !== undefined), { event: 'action', id: String(seqs[4]) }, 'live events follow the reset')
    expired.close()
    const checker = await createContractChecker()
    for (const message of expired.messages) checker.checkStreamMessage(message)
    t.same(checker.violations, [], 'ready, reset and action are StreamEvents as openapi.yaml describes them')

    const fine = await openRawStream(eventsUrl(s.url, projectId, `&lastEventId=${seqs[2]}`), owner(projectId))
    await fine.until((m) => m.id === String(seqs[4]))
    t.same(ids(fine.messages), [seqs[3], seqs[4]], 'the oldest kept event follows directly: no reset')
    fine.close()

    for (let n = 6; n <= 12; n++) seqs.push((await emit(s.app, projectId, n)).seq)
    const behind = await openRawStream(eventsUrl(s.url, projectId, `&lastEventId=${seqs[4]}`), owner(projectId))
    t.teardown(behind.close)
    await behind.next()
    const tooFar = json(await behind.next())
    t.equal(tooFar.reason, 'too_far_behind', '7 missed events, 5 replayable')
    t.ok(tooFar.position > seqs[4]! && tooFar.position <= seqs[11]!, 'the position to stream from after fetching the status')
    const atCap = await openRawStream(eventsUrl(s.url, projectId, `&lastEventId=${seqs[6]}`), owner(projectId))
    t.teardown(atCap.close)
    await atCap.until((m) => m.id === String(seqs[11]))
    t.same(ids(atCap.messages), seqs.slice(7), 'exactly the cap is still replayed')

    const unknown = await openRawStream(eventsUrl(s.url, projectId), { ...owner(projectId), 'last-event-id': '999' })
    t.teardown(unknown.close)
    await unknown.next()
    t.match(json(await unknown.next()), { reason: 'unknown_position' })
  })

  for (const encoding of ['gzip', 'deflate'] as const) {
    t.test(`${encoding}: each event is decodable before the next is sent`, async (t) => {
      const stream = await openRawStream(eventsUrl(s.url, `p_${encoding}`), { ...owner(`p_${encoding}`), 'accept-encoding': `${encoding}, br;q=0` })
      t.teardown(stream.close)
      t.equal(stream.headers['content-encoding'], encoding)
      t.match(stream.headers.vary, /Accept-Encoding/)
      await stream.next()
      // Each emit waits for the previous event to come out of the decompressor: without a flush
      // after every event the first would sit in the compressor and this would never finish.
      for (let n = 1; n <= 3; n++) {
        const event = await emit(s.app, `p_${encoding}`, n)
        t.match(await stream.until((m) => m.event === 'action'), { id: String(event.seq) }, `event ${n} arrived alone`)
      }
      t.match(await stream.until((m) => m.comment === 'hb'), { comment: 'hb' }, 'heartbeats are flushed too')
    })
  }

  t.test('refusals are JSON errors before any stream', async (t) => {
    const anonymous = await openRawStream(eventsUrl(s.url, 'p_auth'))
    t.equal(anonymous.status, 401)
    t.equal(JSON.parse(anonymous.body!).code, 'UNAUTHENTICATED')
    const stranger = await openRawStream(eventsUrl(s.url, 'p_auth'), s.as('owner', 'p_other'))
    t.equal(stranger.status, 403, 'no role on the project')
    t.equal(JSON.parse(stranger.body!).code, 'FORBIDDEN')
    const garbage = await openRawStream(eventsUrl(s.url, 'p_auth'), { ...owner('p_auth'), 'last-event-id': 'abc' })
    t.equal(garbage.status, 400)
    t.equal(JSON.parse(garbage.body!).code, 'VALIDATION_FAILED')
    const cookie = `is_session=${s.token({ sub: 'u_cookie', roles: { p_auth: 'viewer' } })}`
    const browser = await openRawStream(eventsUrl(s.url, 'p_auth'), { cookie })
    t.teardown(browser.close)
    t.equal(browser.status, 200, 'the session cookie works, as a browser EventSource sends it')
  })

  t.test('a client that stops reading is dropped; the others get everything', async (t) => {
    const projectId = 'p_slow'
    const fast = await openRawStream(eventsUrl(s.url, projectId), owner(projectId))
    t.teardown(fast.close)
    await fast.next()
    const slow = net.connect(Number(new URL(s.url).port), '127.0.0.1')
    t.teardown(() => slow.destroy())
    await new Promise<void>((resolve) => slow.once('connect', resolve))
    slow.write(`GET /api/integrations/events?projectId=${projectId} HTTP/1.1\r\nHost: x\r\nAuthorization: ${owner(projectId).authorization}\r\n\r\n`)
    // It reads the response head, then never again.
    await new Promise<void>((resolve) => slow.once('data', () => resolve()))
    slow.pause()
    await eventually(() => s.app.events.hub.listeners(projectId) === 2, 'both streams joined')
    const closedSlow = () => s.app.metrics.registry.getSingleMetric('sse_streams_closed_total')!.get()
      .then((m) => m.values.find((v) => v.labels.reason === 'slow')?.value ?? 0)
    const before = await closedSlow()
    // Far more than the socket buffers on both sides hold (~20 MiB), in step with the reading
    // client, which therefore never has more than one event outstanding.
    const total = 600
    for (let n = 1; n <= total; n++) {
      await emit(s.app, projectId, n, 32 * 1024)
      await fast.until((m) => m.event === 'action' && json(m).params.n === n)
    }
    t.same(ids(fast.messages).length, total, 'the reading client got every event')
    t.equal(await closedSlow(), before + 1, 'the slow one was dropped as slow')
    t.equal(s.app.events.hub.listeners(projectId), 1)
  })
})

t.test('streams of several projects and roles do not mix', async (t) => {
  const s = await build(t, { listen: true })
  const a = await openRawStream(eventsUrl(s.url, 'p_a'), s.as('viewer', 'p_a'))
  const b = await openRawStream(eventsUrl(s.url, 'p_b'), s.as('editor', 'p_b'))
  t.teardown(() => { a.close(); b.close() })
  await a.next()
  await b.next()
  const toB = await emit(s.app, 'p_b', 1)
  await emit(s.app, 'p_a', 1)
  const lastToA = await emit(s.app, 'p_a', 2)
  await a.until((m: SseMessage) => m.id === String(lastToA.seq))
  await b.until((m: SseMessage) => m.id === String(toB.seq))
  t.same(a.messages.filter((m) => m.event === 'action').map((m) => json(m).projectId), ['p_a', 'p_a'])
  t.same(b.messages.filter((m) => m.event === 'action').map((m) => json(m).projectId), ['p_b'])
})
