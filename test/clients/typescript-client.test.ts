import t from 'tap'
import { randomUUID } from 'node:crypto'
import { eachBackend } from '../helper.js'
import { statusApp, setScenario, LINK_CONFIGS } from '../support/status-app.js'
import { eventually } from '../support/events.js'
import { createIntegrationStatusClient, withRetry, type Schemas, type SubscribeError } from '../../clients/typescript/src/index.js'

/**
 * The shipped package (clients/typescript) against the live service over loopback HTTP:
 * link, status with ETag → 304, action with Idempotency-Key → 202 → poll, typed SSE events.
 */

eachBackend(t, '@integration-status/client drives the live service', async (t, backend) => {
  const s = await statusApp(t, { backend, listen: true, env: { SSE_RETRY_MS: '50' } })
  const projectId = 'p_pkg'
  // A function token: the client asks for it on every request and every stream (re)connection.
  let tokenCalls = 0
  const client = createIntegrationStatusClient({
    baseUrl: s.url,
    token: () => { tokenCalls++; return s.token({ sub: 'u_pkg', roles: { [projectId]: 'owner' } }) }
  })

  const providerToken = `tok_pkg_${randomUUID()}`
  setScenario(s.sim, 'github', providerToken, 'healthy')
  const linked = await client.PUT('/api/projects/{projectId}/integrations/github', {
    params: { path: { projectId } },
    body: { config: { ...LINK_CONFIGS.github }, credentials: { token: providerToken } }
  })
  t.equal(linked.response.status, 201, 'linked')
  t.equal(linked.data?.credentials.present, true)

  const status = await client.GET('/api/integrations/status', { params: { query: { projectId } } })
  t.equal(status.response.status, 200)
  const github = status.data?.items.find((item) => item.key === 'github')
  t.equal(github?.status, 'connected', 'the simulator answered healthy')
  const etag = status.response.headers.get('etag')
  t.match(etag, /^W\/".+"$/, 'a weak ETag')
  const position = status.response.headers.get('events-position')
  t.match(position, /^[0-9]+$/, 'the position to stream from')

  const notModified = await client.GET('/api/integrations/status', {
    params: { query: { projectId } },
    headers: { 'If-None-Match': etag! }
  })
  t.equal(notModified.response.status, 304, 'If-None-Match with the ETag: 304')
  t.equal(notModified.data, undefined, 'no body')

  // Typed events, streamed from the snapshot's position so none is missed.
  const actions: Array<Schemas['Action']> = []
  const readies: Array<Schemas['ReadyEvent']> = []
  const errors: SubscribeError[] = []
  const subscription = client.subscribe(projectId, {
    ready: (ready) => { readies.push(ready) },
    action: (action, meta) => {
      t.match(meta.id, /^[0-9]+$/, 'every event has its id')
      actions.push(action)
    },
    error: (error) => { errors.push(error) }
  }, { lastEventId: position! })
  t.teardown(() => subscription.close())
  await eventually(() => readies.length > 0, 'the stream is open')
  t.equal(readies[0]?.resumedFrom, Number(position), 'resumed from the snapshot position')

  const key = randomUUID()
  const accepted = await withRetry(() => client.POST('/api/integrations/actions', {
    params: { header: { 'Idempotency-Key': key } },
    body: { projectId, provider: 'github', action: 'sync' }
  }))
  t.equal(accepted.response.status, 202, 'accepted')
  const action = accepted.data!
  t.equal(accepted.response.headers.get('location'), `/api/integrations/actions/${action.id}`)

  const replay = await client.POST('/api/integrations/actions', {
    params: { header: { 'Idempotency-Key': key } },
    body: { projectId, provider: 'github', action: 'sync' }
  })
  t.equal(replay.data?.id, action.id, 'the same key: the same action')
  t.equal(replay.response.headers.get('idempotent-replayed'), 'true')

  let polled: Schemas['Action'] | undefined
  await eventually(async () => {
    const { data } = await client.GET('/api/integrations/actions/{id}', { params: { path: { id: action.id } } })
    polled = data
    return data?.status === 'succeeded' || data?.status === 'failed'
  }, 'the action finished')
  t.equal(polled?.status, 'succeeded', 'polled until it succeeded')

  await eventually(() => actions.some((a) => a.id === action.id && a.status === 'succeeded'), 'the stream told of its end')
  t.same([...new Set(actions.filter((a) => a.id === action.id).map((a) => a.status))], ['pending', 'running', 'succeeded'], 'every state, in order, typed')
  t.same(errors, [], 'no stream error')
  t.ok(Number(subscription.lastEventId) > Number(position), 'lastEventId follows the events')
  t.ok(tokenCalls >= 6, 'the token function was asked for every call and the stream')
  subscription.close()
  await subscription.done
})

t.test('subscribe() reconnects after a dropped connection and resumes with Last-Event-ID', async (t) => {
  const s = await statusApp(t, { listen: true, env: { SSE_RETRY_MS: '20' } })
  const projectId = 'p_pkg_resume'
  await s.link(projectId, 'github')
  const connections: Array<{ lastEventId: string | null, controller: AbortController }> = []
  // A fetch that remembers each connection so the test can cut it, as a network would.
  const client = createIntegrationStatusClient({
    baseUrl: s.url,
    token: s.token({ sub: 'u_pkg', roles: { [projectId]: 'owner' } }),
    fetch: (request) => {
      if (!request.url.includes('/api/integrations/events')) return fetch(request)
      const controller = new AbortController()
      connections.push({ lastEventId: request.headers.get('last-event-id'), controller })
      return fetch(request, { signal: AbortSignal.any([request.signal, controller.signal]) })
    }
  })
  const seen: string[] = []
  const errors: SubscribeError[] = []
  let retries = 0
  const subscription = client.subscribe(projectId, {
    action: (action, meta) => { seen.push(`${meta.id}:${action.status}`) },
    error: (error) => { errors.push(error) }
  }, { sleep: async (ms) => { retries++; await new Promise((resolve) => setTimeout(resolve, ms)) } })
  t.teardown(() => subscription.close())

  const run = async () => {
    const { data } = await client.POST('/api/integrations/actions', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: { projectId, provider: 'github', action: 'sync' }
    })
    return data!.id
  }
  const first = await run()
  await eventually(() => seen.some((e) => e.endsWith(':succeeded')), 'the first action ended on the stream')
  const idBeforeCut = subscription.lastEventId
  connections.at(-1)!.controller.abort()
  await eventually(() => connections.length === 2, 'reconnected')
  t.equal(connections[1]!.lastEventId, idBeforeCut, 'the reconnection sent Last-Event-ID')
  t.ok(retries >= 1, 'after waiting the retry time')
  t.ok(errors.every((e) => !e.fatal), 'the cut was reported as recoverable')

  const second = await run()
  t.not(second, first)
  await eventually(() => seen.filter((e) => e.endsWith(':succeeded')).length === 2, 'the second action ended on the stream')
  const ids = seen.map((e) => Number(e.split(':')[0]))
  t.same(ids, [...ids].sort((a, b) => a - b), 'in order')
  t.equal(new Set(ids).size, ids.length, 'none twice')
})

t.test('subscribe() stops on a refusal it cannot fix, and reports it with the error body', async (t) => {
  const s = await statusApp(t, { listen: true })
  const client = createIntegrationStatusClient({ baseUrl: s.url, token: s.token({ sub: 'u_pkg', roles: { p_mine: 'owner' } }) })
  const errors: SubscribeError[] = []
  const subscription = client.subscribe('p_not_mine', { error: (error) => { errors.push(error) } })
  await subscription.done
  t.equal(errors.length, 1)
  t.match(errors[0], { fatal: true, status: 403, body: { code: 'FORBIDDEN' } })
})

t.test('close() ends the subscription even when the abort never reaches the body being read', async (t) => {
  // A stream that is open, has said nothing yet, and ignores the fetch's abort signal: only the
  // reader's own cancel can end the read under way.
  let cancelled = false
  const client = createIntegrationStatusClient({
    baseUrl: 'http://127.0.0.1:9',
    token: 'not-used',
    fetch: async () => new Response(new ReadableStream({ cancel () { cancelled = true } }), {
      status: 200,
      headers: { 'content-type': 'text/event-stream' }
    })
  })
  let opened = false
  const subscription = client.subscribe('p_close', { open: () => { opened = true } })
  await eventually(() => opened, 'the stream is open')
  subscription.close()
  const settled = await Promise.race([subscription.done.then(() => 'done'), new Promise((resolve) => setTimeout(resolve, 2000, 'still waiting'))])
  t.equal(settled, 'done', 'done settles after close()')
  t.ok(cancelled, 'the body was cancelled')
})
