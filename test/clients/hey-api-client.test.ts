import t from 'tap'
import { randomUUID } from 'node:crypto'
import { eachBackend } from '../helper.js'
import { statusApp, setScenario, LINK_CONFIGS } from '../support/status-app.js'
import { eventually } from '../support/events.js'
import { createClient, createConfig } from '../../clients/hey-api/src/client/index.js'
import {
  createAction,
  getAction,
  getIntegrationStatus,
  putGithubIntegrationLink as putLink,
  streamIntegrationEvents as streamEvents
} from '../../clients/hey-api/src/sdk.gen.js'
import type { Action, StreamEvent } from '../../clients/hey-api/src/types.gen.js'

/** The data type of one event, by its name, from the contract's StreamEvent union. */
type DataOf<Name extends StreamEvent['event']> = Extract<StreamEvent, { event: Name }>['data']

/**
 * The second generator: the client @hey-api/openapi-ts wrote into clients/hey-api from
 * openapi.yaml, against the live service over loopback HTTP, through the same scenario as the
 * package: link, status with ETag → 304, action with Idempotency-Key → 202 → poll, SSE events.
 * The SDK functions are named after the operationIds. hey-api types what its SSE client yields
 * as the response schema, but yields each message's parsed `data:`; the contract's schema is the
 * whole message (`{ event, id, data }`), so data is typed here by event name from that union.
 */

eachBackend(t, 'the @hey-api/openapi-ts client drives the live service', async (t, backend) => {
  const s = await statusApp(t, { backend, listen: true, env: { SSE_RETRY_MS: '50' } })
  const projectId = 'p_hey'
  const bearer = s.token({ sub: 'u_hey', roles: { [projectId]: 'owner' } })
  // Security lists bearer and the session cookie; a service answers only the bearer one.
  const client = createClient(createConfig({ baseUrl: s.url, auth: (scheme) => scheme.scheme === 'bearer' ? bearer : undefined }))

  const providerToken = `tok_hey_${randomUUID()}`
  setScenario(s.sim, 'github', providerToken, 'healthy')
  const linked = await putLink({
    client,
    path: { projectId },
    body: { config: { ...LINK_CONFIGS.github }, credentials: { token: providerToken } }
  })
  t.equal(linked.response.status, 201, 'linked')
  t.equal(linked.data?.key, 'github')

  const status = await getIntegrationStatus({ client, query: { projectId } })
  t.equal(status.response.status, 200)
  t.equal(status.data?.items.find((item) => item.key === 'github')?.status, 'connected')
  const etag = status.response.headers.get('etag')!
  const position = status.response.headers.get('events-position')!
  t.match(etag, /^W\/".+"$/)
  const notModified = await getIntegrationStatus({ client, query: { projectId }, headers: { 'If-None-Match': etag } })
  t.equal(notModified.response.status, 304, 'If-None-Match with the ETag: 304')

  // The generated SSE client: events as they come, with their names, ids and parsed data.
  const controller = new AbortController()
  t.teardown(() => controller.abort())
  const events: Array<{ event: string | undefined, id: string | undefined, data: unknown }> = []
  const { stream } = await streamEvents({
    client,
    query: { projectId },
    headers: { 'Last-Event-ID': position },
    signal: controller.signal,
    onSseEvent: (event) => { events.push({ event: event.event, id: event.id, data: event.data as unknown }) }
  })
  // The generator hands each event's data to the iterator, and its name and id to onSseEvent.
  const yielded: unknown[] = []
  const draining = (async () => {
    try {
      for await (const data of stream) yielded.push(data)
    } catch { /* aborted at the end */ }
  })()
  await eventually(() => events.some((e) => e.event === 'ready'), 'the stream is open')
  const ready = events.find((e) => e.event === 'ready')!.data as DataOf<'ready'>
  t.equal(ready.resumedFrom, Number(position), 'resumed from the snapshot position')

  const key = randomUUID()
  const accepted = await createAction({
    client,
    headers: { 'Idempotency-Key': key },
    body: { projectId, provider: 'github', action: 'sync' }
  })
  t.equal(accepted.response.status, 202, 'accepted')
  const action = accepted.data!
  t.equal(accepted.response.headers.get('location'), `/api/integrations/actions/${action.id}`)
  const replay = await createAction({ client, headers: { 'Idempotency-Key': key }, body: { projectId, provider: 'github', action: 'sync' } })
  t.equal(replay.data?.id, action.id, 'the same key: the same action')

  let polled: Action | undefined
  await eventually(async () => {
    polled = (await getAction({ client, path: { id: action.id } })).data
    return polled?.status === 'succeeded' || polled?.status === 'failed'
  }, 'the action finished')
  t.equal(polled?.status, 'succeeded', 'polled until it succeeded')

  const isOurs = (e: { event: string | undefined, data: unknown }) => e.event === 'action' && (e.data as DataOf<'action'>).id === action.id
  await eventually(() => events.some((e) => isOurs(e) && (e.data as DataOf<'action'>).status === 'succeeded'), 'the stream told of its end')
  const states = events.filter(isOurs).map((e) => (e.data as DataOf<'action'>).status)
  t.same([...new Set(states)], ['pending', 'running', 'succeeded'], 'every state, in order')
  // Heartbeat comments reach onSseEvent without data; the iterator skips them.
  t.same(yielded, events.filter((e) => e.data !== undefined).map((e) => e.data), 'the iterator yields the same data')
  t.ok(events.every((e) => e.id === undefined || /^[0-9]+$/.test(e.id)), 'ids are positions')
  controller.abort()
  await draining
})
