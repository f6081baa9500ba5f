import { isKnownEvent, type IntegrationStatusEventMap } from './events.js'
import { retryAfterMs, sleep as defaultSleep } from './retry.js'
import { SseParser, type SseMessage } from './sse-parser.js'

/** What every handler receives beside the data: the event's id (its position in the project's log). */
export interface EventMeta {
  id: string
}

export type EventHandlers = {
  [K in keyof IntegrationStatusEventMap]?: (data: IntegrationStatusEventMap[K], meta: EventMeta) => void
} & {
  /** An event this client version does not know (the service may add some); data is parsed JSON. */
  other?: (event: string, data: unknown, meta: EventMeta) => void
  /** Each time a connection is established. */
  open?: (response: Response) => void
  /**
   * Problems. `fatal` ones end the subscription (400, 401, 403, 404: retrying cannot help);
   * the others (a dropped connection, 429/503, an unreadable event, a handler that threw) are
   * reported and the subscription carries on.
   */
  error?: (error: SubscribeError) => void
}

export interface SubscribeOptions {
  /** Resume after this event (e.g. the status's `Events-Position` header, or `subscription.lastEventId`). */
  lastEventId?: string | number
  /** Aborting it ends the subscription, like `close()`. */
  signal?: AbortSignal
  /** Reconnection time until the server sends `retry:` (default 3000 ms). */
  retryMs?: number
  /** Ceiling of the reconnection delay, for back-off after repeated failures and for Retry-After (default 60 s). */
  maxRetryMs?: number
  /** Injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

export interface Subscription {
  /** The id to resume from: updated by every event that carried one. */
  readonly lastEventId: string | undefined
  close(): void
  /** Settles when the subscription ends for good (close, abort, or a fatal error). */
  readonly done: Promise<void>
}

export class SubscribeError extends Error {
  readonly status: number | undefined
  /** The service's error body (`{ code, message, … }`) when it sent one. */
  readonly body: unknown
  readonly fatal: boolean

  constructor (message: string, options: { status?: number, body?: unknown, fatal: boolean, cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SubscribeError'
    this.status = options.status
    this.body = options.body
    this.fatal = options.fatal
  }
}

export interface StreamTransport {
  baseUrl: string
  fetch: (request: Request) => Promise<Response>
  /** Headers for each connection attempt (a fresh bearer token each time). */
  headers: () => Promise<Record<string, string>>
}

async function readBody (response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '')
  try { return JSON.parse(text) } catch { return text }
}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500

/**
 * Opens `GET /api/integrations/events` over fetch and keeps it open: reconnects after the
 * server's `retry:` time (doubling after consecutive failures, up to maxRetryMs), sends
 * `Last-Event-ID` so nothing is missed or repeated, honours `Retry-After` on 429/503.
 */
export function subscribeToEvents (transport: StreamTransport, projectId: string, handlers: EventHandlers, options: SubscribeOptions = {}): Subscription {
  const controller = new AbortController()
  const { signal } = options
  if (signal?.aborted) controller.abort(signal.reason)
  else signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true })
  const maxRetryMs = options.maxRetryMs ?? 60_000
  const wait = options.sleep ?? defaultSleep
  let retryMs = options.retryMs ?? 3000
  let lastEventId = options.lastEventId === undefined ? '' : String(options.lastEventId)

  const report = (error: SubscribeError) => {
    if (handlers.error) handlers.error(error)
    else if (error.fatal) queueMicrotask(() => { throw error })
  }

  const deliver = (message: SseMessage) => {
    const meta = { id: message.lastEventId }
    let data: unknown
    try {
      data = JSON.parse(message.data)
    } catch (cause) {
      return report(new SubscribeError(`event "${message.event}" is not JSON`, { fatal: false, cause }))
    }
    try {
      if (isKnownEvent(message.event)) {
        const handler = handlers[message.event] as ((data: unknown, meta: EventMeta) => void) | undefined
        handler?.(data, meta)
      } else {
        handlers.other?.(message.event, data, meta)
      }
    } catch (cause) {
      report(new SubscribeError(`the "${message.event}" handler threw`, { fatal: false, cause }))
    }
  }

  /** One connection; resolves with how long to wait before the next, or null to stop. */
  const connect = async (): Promise<{ received: boolean, waitMs?: number } | null> => {
    const headers = new Headers({ ...(await transport.headers()), accept: 'text/event-stream' })
    if (lastEventId !== '') headers.set('Last-Event-ID', lastEventId)
    const url = `${transport.baseUrl.replace(/\/+$/, '')}/api/integrations/events?projectId=${encodeURIComponent(projectId)}`
    const response = await transport.fetch(new Request(url, { headers, signal: controller.signal }))
    if (!response.ok) {
      const body = await readBody(response)
      const fatal = !retryable(response.status)
      report(new SubscribeError(`event stream answered ${response.status}`, { status: response.status, body, fatal }))
      if (fatal) return null
      const waitMs = retryAfterMs(response)
      return waitMs === undefined ? { received: false } : { received: false, waitMs }
    }
    if (!response.headers.get('content-type')?.startsWith('text/event-stream') || !response.body) {
      report(new SubscribeError('event stream answered without text/event-stream', { status: response.status, fatal: true }))
      return null
    }
    handlers.open?.(response)
    let received = false
    const parser = new SseParser({
      message: (message) => {
        received = true
        lastEventId = message.lastEventId
        deliver(message)
      },
      retry: (ms) => { retryMs = ms }
    }, lastEventId)
    const reader = response.body.getReader()
    const decoder = new TextDecoder()
    // close() ends a read under way itself: the fetch's abort does not always reach a body being
    // read (seen once under load with Node's fetch: `done` never settled after close()).
    const cancel = () => { reader.cancel().catch(() => {}) }
    if (controller.signal.aborted) cancel()
    else controller.signal.addEventListener('abort', cancel, { once: true })
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        parser.feed(decoder.decode(value, { stream: true }))
        lastEventId = parser.lastEventId
      }
    } finally {
      controller.signal.removeEventListener('abort', cancel)
      reader.releaseLock()
    }
    return { received }
  }

  const run = async () => {
    let failures = 0
    while (!controller.signal.aborted) {
      let waitMs: number | undefined
      try {
        const outcome = await connect()
        if (outcome === null) return
        failures = outcome.received ? 0 : failures + 1
        waitMs = outcome.waitMs
      } catch (cause) {
        if (controller.signal.aborted) return
        failures++
        report(new SubscribeError('event stream connection failed', { fatal: false, cause }))
      }
      const backoff = retryMs * 2 ** Math.max(0, failures - 1)
      try {
        await wait(Math.min(maxRetryMs, waitMs ?? backoff), controller.signal)
      } catch {
        return
      }
    }
  }

  const done = run()
  return {
    get lastEventId () { return lastEventId === '' ? undefined : lastEventId },
    close: () => controller.abort(),
    done
  }
}
