// @ts-check
/**
 * The browser client of integration-status: one live connection per project per origin, shared by
 * every tab. Plain ES module, no framework, no build step; typed (checkJs) from the OpenAPI schemas.
 *
 * - Tabs of a project talk over a BroadcastChannel. One of them, the leader (Web Locks: whoever
 *   holds `integration-status:<projectId>`), takes the snapshot and holds the EventSource; it
 *   passes every envelope and action to the others. When the leader tab goes away its lock is
 *   freed, another tab takes it and resumes from the last event id it heard of: nothing is missed.
 * - When the stream fails: reconnects after 1 s, 2 s, 5 s, 10 s, 30 s, 60 s; after that it polls
 *   the status every 15 s with If-None-Match and keeps trying the stream every 60 s; polling stops
 *   once the stream is back.
 * - With no event for 60 s it re-reads the status (the plan's background health check).
 *
 * @typedef {import('../clients/typescript/src/openapi.js').components['schemas']['StatusEnvelope']} StatusEnvelope
 * @typedef {import('../clients/typescript/src/openapi.js').components['schemas']['IntegrationStatus']} IntegrationStatus
 * @typedef {import('../clients/typescript/src/openapi.js').components['schemas']['Action']} Action
 * @typedef {import('../clients/typescript/src/openapi.js').components['schemas']['StreamEvent']} StreamEvent one message of the event stream, from openapi.yaml
 * @typedef {StreamEvent['event']} StreamEventName
 * @typedef {'starting' | 'disabled' | 'connecting' | 'streaming' | 'reconnecting' | 'polling' | 'closed'} Connection
 * @typedef {{ envelope?: StatusEnvelope, connection: Connection, lastEventId?: number, leader: boolean, enabled?: boolean }} ClientState
 * @typedef {{ setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (id: any) => void }} Timers
 * @typedef {{ type: string, at: number, [key: string]: unknown }} DebugEntry
 *
 * @typedef {object} StatusClientOptions
 * @property {string} projectId
 * @property {string} [baseUrl] where the service is ('' = this origin)
 * @property {Timers} [timers] injectable, so tests can run the schedule quickly
 * @property {number[]} [backoffMs] reconnect delays; the last one repeats while polling
 * @property {number} [pollMs] polling interval once the backoff is exhausted
 * @property {number} [healthMs] re-read the status after this long without an event
 * @property {typeof fetch} [fetch]
 * @property {typeof EventSource} [EventSource]
 * @property {typeof BroadcastChannel} [BroadcastChannel]
 * @property {LockManager} [locks]
 */

export const BACKOFF_MS = [1000, 2000, 5000, 10000, 30000, 60000]
export const POLL_MS = 15000
export const HEALTH_MS = 60000

const FINAL = new Set(['succeeded', 'failed'])

/** The CSRF token the service set for this session (double submit), or undefined. */
function csrfToken () {
  if (typeof document === 'undefined') return undefined
  const match = /(?:^|;\s*)is_csrf=([^;]+)/.exec(document.cookie)
  return match ? decodeURIComponent(match[1] ?? '') : undefined
}

/**
 * @param {StatusClientOptions} options
 */
export function createStatusClient (options) {
  const {
    projectId,
    baseUrl = '',
    timers = { setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms), clearTimeout: (id) => globalThis.clearTimeout(id) },
    backoffMs = BACKOFF_MS,
    pollMs = POLL_MS,
    healthMs = HEALTH_MS
  } = options
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis)
  const ES = options.EventSource ?? globalThis.EventSource
  const BC = options.BroadcastChannel ?? globalThis.BroadcastChannel
  const locks = options.locks ?? globalThis.navigator?.locks
  const query = `projectId=${encodeURIComponent(projectId)}`

  /** @type {ClientState} */
  const state = { connection: 'starting', leader: false }
  /** @type {Set<(state: ClientState) => void>} */
  const listeners = new Set()
  /** @type {Set<(action: Action) => void>} */
  const actionListeners = new Set()
  /** @type {DebugEntry[]} what the client did, for tests and the console */
  const debug = []
  const note = (/** @type {string} */ type, extra = {}) => { debug.push({ type, at: Date.now(), ...extra }) }

  let started = false
  let closed = false
  /** @type {BroadcastChannel | undefined} */
  let channel
  /** @type {EventSource | undefined} */
  let source
  let etag = ''
  let attempt = 0
  /** @type {unknown} */ let retryTimer
  /** @type {unknown} */ let pollTimer
  /** @type {unknown} */ let healthTimer
  /** @type {(() => void) | undefined} */ let releaseLock

  const emit = () => { for (const listener of listeners) listener(state) }
  /** @param {Partial<ClientState>} changes */
  const update = (changes) => {
    Object.assign(state, changes)
    emit()
  }
  /** @param {unknown} message */
  const broadcast = (message) => { if (state.leader) channel?.postMessage(message) }

  /** @param {number | undefined} id */
  const advance = (id) => {
    if (id !== undefined && Number.isFinite(id) && (state.lastEventId === undefined || id > state.lastEventId)) state.lastEventId = id
  }

  /** @param {StatusEnvelope} envelope @param {number} [id] */
  function applyStatus (envelope, id) {
    advance(id)
    update({ envelope })
    broadcast({ type: 'status', envelope, id: state.lastEventId })
  }

  /** @param {Action} action @param {number} [id] */
  function applyAction (action, id) {
    advance(id)
    for (const listener of actionListeners) listener(action)
    broadcast({ type: 'action', action, id: state.lastEventId })
  }

  /** @param {Connection} connection */
  function setConnection (connection) {
    if (state.connection === connection) return
    update({ connection })
    broadcast({ type: 'connection', connection })
  }

  /**
   * Reads the status. `conditional`: with If-None-Match (polling), so an unchanged status costs a
   * 304. Returns the Events-Position of a fresh snapshot.
   */
  async function readStatus (conditional = false) {
    const response = await doFetch(`${baseUrl}/api/integrations/status?${query}`, {
      credentials: 'include',
      headers: conditional && etag ? { 'if-none-match': etag } : {}
    })
    const position = Number(response.headers.get('events-position') ?? NaN)
    note('status-read', { status: response.status, conditional })
    if (response.status === 304) return undefined
    if (!response.ok) throw new Error(`status ${response.status}`)
    etag = response.headers.get('etag') ?? ''
    applyStatus(/** @type {StatusEnvelope} */ (await response.json()))
    return Number.isFinite(position) ? position : undefined
  }

  function armHealthCheck () {
    timers.clearTimeout(healthTimer)
    healthTimer = timers.setTimeout(() => {
      note('health-check')
      readStatus().catch(() => {}).finally(() => { if (state.leader && !closed) armHealthCheck() })
    }, healthMs)
  }

  function stopPolling () {
    if (pollTimer === undefined) return
    timers.clearTimeout(pollTimer)
    pollTimer = undefined
    note('poll-stop')
  }

  function startPolling () {
    if (pollTimer !== undefined) return
    note('poll-start')
    setConnection('polling')
    const tick = () => {
      pollTimer = timers.setTimeout(() => {
        note('poll')
        readStatus(true).catch(() => {}).finally(() => { if (pollTimer !== undefined && !closed) tick() })
      }, pollMs)
    }
    tick()
  }

  function scheduleReconnect () {
    const delay = backoffMs[Math.min(attempt, backoffMs.length - 1)] ?? 60000
    attempt++
    note('reconnect-scheduled', { delay, attempt })
    // The schedule is used up: keep the UI current by polling while the stream stays away.
    if (attempt > backoffMs.length) startPolling()
    else setConnection('reconnecting')
    timers.clearTimeout(retryTimer)
    retryTimer = timers.setTimeout(() => { openStream() }, delay)
  }

  function openStream () {
    if (closed || !state.leader) return
    source?.close()
    const resume = state.lastEventId === undefined ? '' : `&lastEventId=${state.lastEventId}`
    note('stream-open', { lastEventId: state.lastEventId })
    if (state.connection !== 'polling') setConnection(attempt === 0 ? 'connecting' : 'reconnecting')
    const es = new ES(`${baseUrl}/api/integrations/events?${query}${resume}`, { withCredentials: true })
    source = es
    /** @param {MessageEvent} event */
    const id = (event) => (event.lastEventId === '' ? undefined : Number(event.lastEventId))
    es.addEventListener('ready', (event) => {
      const ready = dataOf('ready', event)
      if (state.lastEventId === undefined) advance(ready.position)
      attempt = 0
      stopPolling()
      note('stream-ready', { position: ready.position })
      setConnection('streaming')
      armHealthCheck()
    })
    es.addEventListener('status', (event) => {
      armHealthCheck()
      const message = /** @type {MessageEvent} */ (event)
      etag = ''
      applyStatus(dataOf('status', message), id(message))
    })
    es.addEventListener('action', (event) => {
      armHealthCheck()
      const message = /** @type {MessageEvent} */ (event)
      applyAction(dataOf('action', message), id(message))
    })
    es.addEventListener('reset', (event) => {
      // Too far behind to replay: take a new snapshot, then continue from the reset's position.
      const message = /** @type {MessageEvent} */ (event)
      note('reset', { data: message.data })
      state.lastEventId = undefined
      advance(id(message))
      readStatus().catch(() => {})
    })
    es.onerror = () => {
      // EventSource would retry on its own, at its own pace: this client keeps the schedule.
      if (source !== es) return
      es.close()
      source = undefined
      note('stream-error')
      if (!closed && state.leader) scheduleReconnect()
    }
  }

  async function lead () {
    update({ leader: true })
    note('leader')
    try {
      // A tab taking over already has the state; it resumes after the last id it heard of.
      const position = state.envelope && state.lastEventId !== undefined ? undefined : await readStatus()
      if (state.lastEventId === undefined && position !== undefined) state.lastEventId = position
    } catch {
      note('snapshot-failed')
    }
    openStream()
    return new Promise((resolve) => { releaseLock = () => resolve(undefined) })
  }

  /** @param {MessageEvent} event */
  function onChannelMessage (event) {
    const message = event.data
    if (message.type === 'hello') {
      if (state.leader) channel?.postMessage({ type: 'state', envelope: state.envelope, id: state.lastEventId, connection: state.connection })
      return
    }
    if (state.leader) return
    advance(message.id)
    if (message.type === 'state' || message.type === 'status') {
      if (message.envelope) update({ envelope: message.envelope })
      if (message.connection) update({ connection: message.connection })
    } else if (message.type === 'action') {
      for (const listener of actionListeners) listener(message.action)
    } else if (message.type === 'connection') {
      update({ connection: message.connection })
    }
  }

  async function rolloutEnabled () {
    try {
      const response = await doFetch(`${baseUrl}/api/integrations/rollout?${query}`, { credentials: 'include' })
      // A service without the rollout endpoint (404) serves everyone.
      if (response.status === 404) return true
      if (!response.ok) return true
      return Boolean((await response.json()).enabled)
    } catch {
      return true
    }
  }

  async function start () {
    const enabled = await rolloutEnabled()
    if (closed) return
    if (!enabled) {
      note('disabled')
      update({ enabled: false, connection: 'disabled' })
      return
    }
    update({ enabled: true, connection: 'connecting' })
    channel = new BC(`integration-status:${projectId}`)
    channel.onmessage = onChannelMessage
    channel.postMessage({ type: 'hello' })
    if (locks) {
      // Held until this tab closes (or close() is called); then the next tab in line leads.
      locks.request(`integration-status:${projectId}`, () => (closed ? undefined : lead())).catch(() => {})
    } else {
      lead().catch(() => {})
    }
  }

  return {
    /** The current state (envelope, connection, lastEventId, leader). */
    get state () { return state },
    debug,

    /**
     * Calls listener with the current state now (when there is one) and after every change.
     * The first subscription starts the client.
     * @param {(state: ClientState) => void} listener
     */
    subscribe (listener) {
      listeners.add(listener)
      if (state.envelope || state.connection === 'disabled') listener(state)
      if (!started) {
        started = true
        start().catch(() => {})
      }
      return () => { listeners.delete(listener) }
    },

    /** @param {(action: Action) => void} listener */
    onAction (listener) {
      actionListeners.add(listener)
      return () => { actionListeners.delete(listener) }
    },

    /**
     * Runs a quick action. The Idempotency-Key is made once, so retries after a network failure
     * or a 503 can never run it twice. Resolves with the accepted action; rejects with an Error
     * carrying `status`, the service's error `body` and, for a 429, `retryAfter` in seconds.
     * @param {string} provider @param {string} action @param {Record<string, unknown>} [params]
     * @returns {Promise<Action>}
     */
    async runAction (provider, action, params) {
      const key = globalThis.crypto.randomUUID()
      const csrf = csrfToken()
      for (let tries = 0; ; tries++) {
        try {
          const response = await doFetch(`${baseUrl}/api/integrations/actions`, {
            method: 'POST',
            credentials: 'include',
            headers: { 'content-type': 'application/json', 'idempotency-key': key, ...(csrf ? { 'x-csrf-token': csrf } : {}) },
            body: JSON.stringify({ projectId, provider, action, ...(params ? { params } : {}) })
          })
          const body = await response.json()
          if (response.ok) return body
          if ((response.status === 503 || response.status === 409) && tries < 3) {
            await new Promise((resolve) => timers.setTimeout(() => resolve(undefined), 1000 * (tries + 1)))
            continue
          }
          // Retry-After (seconds) tells the page when a rate-limited action can be tried again.
          const retryAfter = Number(response.headers.get('retry-after') ?? NaN)
          throw Object.assign(new Error(body.message ?? `HTTP ${response.status}`), { body, status: response.status, ...(Number.isFinite(retryAfter) ? { retryAfter } : {}) })
        } catch (error) {
          if (error instanceof TypeError && tries < 3) continue // network failure: same key, safe to send again
          throw error
        }
      }
    },

    /**
     * Follows one action until it ends: from the stream, or by reading it while there is none.
     * @param {string} id @param {(action: Action) => void} listener
     */
    followAction (id, listener) {
      let done = false
      /** @type {unknown} */ let timer
      const stop = () => {
        done = true
        off()
        timers.clearTimeout(timer)
      }
      const off = this.onAction((action) => {
        if (action.id !== id || done) return
        listener(action)
        if (FINAL.has(action.status)) stop()
      })
      /** Reads the action once; true when it has ended. */
      const read = async () => {
        const response = await doFetch(`${baseUrl}/api/integrations/actions/${id}`, { credentials: 'include' }).catch(() => undefined)
        if (!response?.ok || done) return done
        const action = await response.json()
        if (done) return true
        listener(action)
        if (FINAL.has(action.status)) stop()
        return done
      }
      const check = () => {
        timer = timers.setTimeout(async () => {
          if (done) return
          if (state.connection !== 'streaming' && await read()) return
          check()
        }, 2000)
      }
      // Events sent before this listener existed (a quick action can end before the POST's answer
      // is read) are caught up by one read now; later ones come from the stream or the polls.
      read().then((ended) => { if (!ended) check() }).catch(() => check())
      return stop
    },

    /** Leaves: closes the stream, gives the lead to another tab, stops every timer. */
    close () {
      closed = true
      source?.close()
      channel?.close()
      for (const timer of [retryTimer, pollTimer, healthTimer]) timers.clearTimeout(timer)
      releaseLock?.()
      update({ connection: 'closed', leader: false })
    }
  }
}

/**
 * The data of a stream event, typed by its name from openapi.yaml's StreamEvent union.
 * @template {StreamEventName} E
 * @param {E} _name the SSE event name the listener was added for
 * @param {Event} event
 * @returns {Extract<StreamEvent, { event: E }>['data']}
 */
function dataOf (_name, event) {
  return JSON.parse(/** @type {MessageEvent} */ (event).data)
}

/** @typedef {ReturnType<typeof createStatusClient>} StatusClient */

/** @type {Map<string, StatusClient>} */
const shared = new Map()

/**
 * The page's client for a project: every component on the page uses the same one.
 * @param {StatusClientOptions} options
 */
export function statusClientFor (options) {
  const key = `${options.baseUrl ?? ''} ${options.projectId}`
  let client = shared.get(key)
  if (!client) {
    client = createStatusClient(options)
    shared.set(key, client)
  }
  return client
}
