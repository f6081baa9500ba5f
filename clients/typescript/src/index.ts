import createClient, { type Client } from 'openapi-fetch'
import type { components, operations, paths } from './openapi.js'
import { subscribeToEvents, type EventHandlers, type SubscribeOptions, type Subscription } from './subscribe.js'

export type { components, operations, paths }
export type Schemas = components['schemas']
export { EVENT_NAMES, isKnownEvent, type IntegrationStatusEventMap, type IntegrationStatusEventName } from './events.js'
export { retryAfterMs, sleep, withRetry, type RetryOptions } from './retry.js'
export { SseParser, type SseMessage, type SseParserCallbacks } from './sse-parser.js'
export { SubscribeError, subscribeToEvents, type EventHandlers, type EventMeta, type StreamTransport, type SubscribeOptions, type Subscription } from './subscribe.js'

export interface IntegrationStatusClientOptions {
  /** Where the service is, e.g. `http://integration-status.internal:3000`. */
  baseUrl: string
  /** The caller's bearer token (a JWT from the host workspace), or a function giving a fresh one per request. */
  token?: string | (() => string | Promise<string>)
  /** A fetch of your own (auth, tracing, a browser's credentialed fetch); default globalThis.fetch. */
  fetch?: (request: Request) => Promise<Response>
  /** Sent with every request. */
  headers?: Record<string, string>
}

export interface IntegrationStatusClient extends Client<paths> {
  /** Streams the project's events with typed handlers; reconnects and resumes by itself. */
  subscribe(projectId: string, handlers: EventHandlers, options?: SubscribeOptions): Subscription
}

/**
 * The typed client of the integration-status service: `GET`, `POST`, `PUT`, … typed from
 * openapi.yaml by openapi-fetch, plus `subscribe()` for the event stream.
 */
export function createIntegrationStatusClient (options: IntegrationStatusClientOptions): IntegrationStatusClient {
  const { baseUrl, token, headers = {} } = options
  const fetchImpl = options.fetch ?? ((request: Request) => globalThis.fetch(request))
  const bearer = async (): Promise<Record<string, string>> =>
    token === undefined ? {} : { authorization: `Bearer ${typeof token === 'function' ? await token() : token}` }

  const api = createClient<paths>({ baseUrl, fetch: fetchImpl, headers })
  if (token !== undefined) {
    api.use({
      async onRequest ({ request }) {
        const { authorization } = await bearer()
        if (authorization) request.headers.set('authorization', authorization)
        return request
      }
    })
  }
  const transport = { baseUrl, fetch: fetchImpl, headers: async () => ({ ...headers, ...(await bearer()) }) }
  return Object.assign(api, {
    subscribe: (projectId: string, handlers: EventHandlers, subscribeOptions?: SubscribeOptions) =>
      subscribeToEvents(transport, projectId, handlers, subscribeOptions)
  })
}
