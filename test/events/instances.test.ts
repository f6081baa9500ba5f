import t from 'tap'
import { EventSource } from 'eventsource'
import { Agent, fetch as undiciFetch } from 'undici'
import { REAL_BACKENDS_PROBLEM, build, realOnly, testEnv, type TestApp } from '../helper.js'
import { statusApp } from '../support/status-app.js'
import { openRawStream, type SseMessage } from '../support/sse.js'
import { startInstance } from '../support/instance.js'
import { emit, eventually, ids, json } from '../support/events.js'
import { post } from '../support/actions.js'
import type { Action } from '../../src/schemas/action.js'

const skip = realOnly(REAL_BACKENDS_PROBLEM)
const eventsUrl = (base: string, projectId: string, extra = '') => `${base}/api/integrations/events?projectId=${projectId}${extra}`

/** A second in-process instance over the first one's PostgreSQL schema and Redis prefix. */
const sharing = (a: TestApp, env: Record<string, string> = {}) => ({ DATABASE_SCHEMA: a.schema!, REDIS_PREFIX: a.redisPrefix!, ...env })

t.test('events written concurrently from two instances reach a client that keeps resuming, in id order, each once', { skip }, async (t) => {
  const a = await build(t, { backend: 'real', listen: true })
  const b = await build(t, { backend: 'real', listen: true, env: sharing(a) })
  const projectId = 'p_concurrent'
  const perInstance = 150
  const written: number[] = []
  const writers = [a, b].map(async (instance, w) => {
    for (let n = 0; n < perInstance; n++) written.push((await emit(instance.app, projectId, w * 1000 + n)).seq)
  })

  let finished = false
  let final = Number.POSITIVE_INFINITY
  const allWritten = Promise.all(writers).then(async () => {
    final = await a.app.events.log.head(projectId)
    finished = true
  })
  const seen: number[] = []
  let last = 0
  let round = 0
  const caughtUp = () => finished && last >= final
  const record = (message: SseMessage) => {
    seen.push(Number(message.id))
    last = Number(message.id)
  }
  // Reads a few events, hangs up and resumes on the other instance, until it has seen the end.
  while (!caughtUp()) {
    const server = round++ % 2 === 0 ? a : b
    const stream = await openRawStream(eventsUrl(server.url, projectId, `&lastEventId=${last}`), server.as('viewer', projectId))
    try {
      for (let i = 0; i < 1 + (round % 7) && !caughtUp(); i++) {
        const next = stream.until((m) => m.id !== undefined && m.event !== 'ready')
        next.catch(() => {}) // abandoned when the stream is closed while it waits
        // While the writers run there is always a next event; once they are done, maybe not.
        const message = finished ? await next : await Promise.race([next, allWritten.then(() => null)])
        if (message !== null) record(message)
        else if (!caughtUp()) record(await next)
      }
    } finally {
      stream.close()
    }
  }
  await allWritten
  t.ok(round > 10, `resumed ${round} times`)
  t.same(seen, [...seen].sort((x, y) => x - y), 'in id order')
  t.equal(new Set(seen).size, seen.length, 'none twice')
  const actionIds = seen.filter((id) => written.includes(id))
  t.same(actionIds, [...written].sort((x, y) => x - y), 'every event from both instances')
})

t.test('an instance killed mid-stream: the client resumes on another and misses nothing', { skip }, async (t) => {
  const b = await build(t, { backend: 'real', listen: true, env: { SSE_RETRY_MS: '50' } })
  const a = await startInstance(t, testEnv('real', sharing(b, { SSE_RETRY_MS: '50' })))
  const projectId = 'p_killed'
  const { authorization } = b.as('viewer', projectId)
  let target = a.url
  const agent = new Agent()
  t.teardown(() => agent.destroy())
  const targets: string[] = []
  // The "load balancer": every (re)connect goes to whichever instance is alive.
  const es = new EventSource(eventsUrl('http://balancer.invalid', projectId), {
    fetch: async (input, init) => {
      const url = String(input).replace('http://balancer.invalid', target)
      targets.push(`${target === a.url ? 'a' : 'b'}:${new Headers(init?.headers).get('last-event-id') ?? '-'}`)
      return undiciFetch(url, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), authorization }, dispatcher: agent } as Parameters<typeof undiciFetch>[1]) as unknown as Response
    }
  })
  t.teardown(() => es.close())
  const received: number[] = []
  es.addEventListener('action', (event) => { received.push(JSON.parse(event.data).params.n) })
  await new Promise<void>((resolve) => es.addEventListener('ready', () => resolve(), { once: true }))

  const total = 60
  for (let n = 1; n <= total; n++) {
    await emit(b.app, projectId, n)
    if (n === 20) {
      await eventually(() => received.length >= 10, 'events flowing from instance A')
      target = b.url
      await a.kill()
    }
  }
  await eventually(() => received.length >= total, `all ${total} events, got ${received.length}`)
  t.same(received, Array.from({ length: total }, (_v, i) => i + 1), 'every event once, in order, across the crash')
  t.equal(targets[0], 'a:-')
  t.match(targets.at(-1), /^b:\d+$/, 'the reconnect went to B with the last id it had')
})

t.test('a graceful shutdown ends streams with a retry hint; nothing is lost', { skip }, async (t) => {
  const a = await build(t, { backend: 'real', listen: true })
  const b = await build(t, { backend: 'real', listen: true, env: sharing(a) })
  const projectId = 'p_shutdown'
  const stream = await openRawStream(eventsUrl(b.url, projectId), b.as('owner', projectId))
  await stream.next()
  const before = await emit(a.app, projectId, 1)
  await stream.until((m) => m.id === String(before.seq))
  const closing = b.app.close()
  await stream.ended
  await closing
  const tail = stream.messages.at(-1)!
  t.ok(tail.retry !== undefined && tail.retry > 0, 'the last thing sent is a retry hint')
  const missed = await emit(a.app, projectId, 2)
  const resumed = await openRawStream(eventsUrl(a.url, projectId), { ...a.as('owner', projectId), 'last-event-id': String(before.seq) })
  t.teardown(resumed.close)
  await resumed.until((m) => m.id === String(missed.seq))
  t.same(ids(resumed.messages), [missed.seq], 'the event written during the shutdown, once')
})

t.test('an action accepted on instance A shows up on a stream held on instance B', { skip }, async (t) => {
  const a = await statusApp(t, { backend: 'real', listen: true })
  const b = await statusApp(t, { backend: 'real', listen: true, sim: a.sim, env: sharing(a) })
  const projectId = 'p_cross'
  await a.link(projectId, 'github')
  const stream = await openRawStream(eventsUrl(b.url, projectId), b.as('viewer', projectId))
  t.teardown(stream.close)
  await stream.next()
  const accepted = (await post(a, { projectId, provider: 'github', action: 'sync' })).json<Action>()
  const statuses: string[] = []
  await stream.until((m) => {
    if (m.event !== 'action') return false
    const action = json<Action>(m)
    if (action.id === accepted.id) statuses.push(action.status)
    return action.id === accepted.id && (action.status === 'succeeded' || action.status === 'failed')
  })
  t.same(statuses, ['pending', 'running', 'succeeded'], 'every state change, in order')
})

t.test('while a project is watched, exactly one instance leads its background refresh', { skip }, async (t) => {
  const env = { EVENTS_REFRESH_TICK_MS: '50' }
  const a = await statusApp(t, { backend: 'real', listen: true, env })
  const b = await statusApp(t, { backend: 'real', listen: true, sim: a.sim, env: sharing(a, env) })
  const projectId = 'p_leader'
  const streams = await Promise.all([a, b].map((s) => openRawStream(eventsUrl(s.url, projectId), s.as('owner', projectId))))
  t.teardown(() => streams.forEach((s) => s.close()))
  await eventually(() => a.app.events.leader.leading(projectId) || b.app.events.leader.leading(projectId), 'a leader')
  t.equal(Number(a.app.events.leader.leading(projectId)) + Number(b.app.events.leader.leading(projectId)), 1, 'one leader, not two')
  const leader = a.app.events.leader.leading(projectId) ? a : b
  const other = leader === a ? b : a
  const otherStream = streams[leader === a ? 1 : 0]!
  // The leader's streams end: the other instance takes over within a few ticks.
  streams[leader === a ? 0 : 1]!.close()
  await eventually(() => other.app.events.leader.leading(projectId), 'the other instance takes the lead')
  t.notOk(leader.app.events.leader.leading(projectId), 'the first one let go')
  t.equal(otherStream.status, 200)
})
