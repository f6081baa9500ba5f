import type { FastifyInstance } from 'fastify'
import type { MessageHandler } from './types.js'

const RETRY_MS = 5_000

/**
 * Subscribes to a pub/sub channel for the app's lifetime. Redis being down must not stop boot
 * (readiness reports it): the subscription is retried every 5 s until it holds, and what it keeps
 * fresh simply lives out its own expiry meanwhile. Ended in onClose.
 */
export function keepSubscribed (fastify: FastifyInstance, channel: string, handler: MessageHandler, what: string) {
  let unsubscribe: (() => Promise<void>) | undefined
  let retry: NodeJS.Timeout | undefined
  let closing = false
  const subscribe = () => {
    fastify.backends.pubsub.subscribe(channel, handler)
      .then((stop) => {
        unsubscribe = stop
        if (closing) stop().catch(() => {})
      })
      .catch((error: unknown) => {
        if (closing) return
        fastify.log.warn({ err: error }, `cannot subscribe to ${what} yet; retrying in 5 s`)
        retry = setTimeout(subscribe, RETRY_MS).unref()
      })
  }
  subscribe()
  fastify.addHook('onClose', async () => {
    closing = true
    clearTimeout(retry)
    await unsubscribe?.().catch(() => {})
  })
}
