import type { FastifyBaseLogger } from 'fastify'
import type { PubSubBackend } from '../backends/types.js'
import type { EventLog, LoggedEvent } from './event-log.js'

/** What goes over pub/sub on `events:{projectId}`. */
export type Announcement =
  /** An event that has committed to the log. */
  | { event: LoggedEvent }
  /** The project's status may have changed (a check was stored somewhere): the leader looks. */
  | { touched: true }

export const eventsChannel = (projectId: string) => `events:${projectId}`

export interface HubListener {
  /** Called with every event of the project, in id order, each exactly once. */
  deliver (event: LoggedEvent): void
}

export interface HubOptions {
  pubsub: PubSubBackend
  log: EventLog
  logger: FastifyBaseLogger
  /** Reads the log this often even without announcements: pub/sub may drop them (Redis down). */
  pollMs: number
  /** A `touched` announcement arrived for a project this instance watches. */
  onTouched (projectId: string): void
  /** A project gained its first, or lost its last, listener on this instance. */
  onWatch (projectId: string, watching: boolean): void
}

/** Catch-up reads take this many events at a time. */
const CATCH_UP_BATCH = 500

interface Channel {
  projectId: string
  listeners: Set<HubListener>
  /** The last event id delivered to this channel's listeners. */
  cursor: number
  ready: Promise<void>
  unsubscribe?: () => Promise<void>
  catchingUp?: Promise<void>
  /** Another catch-up was asked for while one ran. */
  again: boolean
  closed: boolean
}

/**
 * One pub/sub subscription per project per instance, shared by all its streams. Announcements
 * carry the event itself; one that does not follow the cursor (pub/sub reorders or drops across
 * instances) makes the channel read the log instead, and the log's ids commit in order, so every
 * listener sees every event once and in order.
 */
export function createHub ({ pubsub, log, logger, pollMs, onTouched, onWatch }: HubOptions) {
  const channels = new Map<string, Channel>()

  function deliver (channel: Channel, event: LoggedEvent) {
    channel.cursor = event.seq
    for (const listener of [...channel.listeners]) {
      try {
        listener.deliver(event)
      } catch (error) {
        logger.error({ err: error, projectId: channel.projectId }, 'event listener threw')
      }
    }
  }

  /** Reads everything after the cursor from the log; concurrent calls share one reader. */
  function catchUp (channel: Channel): Promise<void> {
    if (channel.catchingUp) {
      channel.again = true
      return channel.catchingUp
    }
    channel.catchingUp = (async () => {
      do {
        channel.again = false
        let batch: LoggedEvent[]
        do {
          batch = await log.after(channel.projectId, channel.cursor, CATCH_UP_BATCH)
          for (const event of batch) if (!channel.closed && event.seq > channel.cursor) deliver(channel, event)
        } while (batch.length === CATCH_UP_BATCH && !channel.closed)
      } while (channel.again && !channel.closed)
    })().catch((error: unknown) => {
      logger.warn({ err: error, projectId: channel.projectId }, 'could not read the event log; retrying at the next poll')
    }).finally(() => { channel.catchingUp = undefined })
    return channel.catchingUp
  }

  function onMessage (channel: Channel, message: string) {
    let announcement: Announcement
    try {
      announcement = JSON.parse(message) as Announcement
    } catch {
      return
    }
    if ('touched' in announcement) {
      onTouched(channel.projectId)
      return
    }
    const { event } = announcement
    if (!Number.isFinite(channel.cursor)) {
      // Still reading the position: whether this one is before it is unknown, so read after it.
      channel.again = true
      return
    }
    if (event.seq <= channel.cursor) return
    if (event.seq === channel.cursor + 1 && !channel.catchingUp) deliver(channel, event)
    else catchUp(channel).catch(() => {})
  }

  async function open (projectId: string): Promise<Channel> {
    const channel: Channel = { projectId, listeners: new Set(), cursor: Number.POSITIVE_INFINITY, ready: Promise.resolve(), again: false, closed: false }
    channel.ready = (async () => {
      // Subscribed first, then the position read: an event committed in between is both announced
      // and after the cursor, so it is not lost (and the cursor check drops its second copy).
      channel.unsubscribe = await pubsub.subscribe(eventsChannel(projectId), (message) => onMessage(channel, message))
        .catch((error: unknown) => {
          // Pub/sub down: the poll alone keeps the streams going, only later.
          logger.warn({ err: error, projectId }, 'cannot subscribe to project events; polling the log instead')
          return undefined
        })
      channel.cursor = await log.head(projectId)
      if (channel.again) catchUp(channel).catch(() => {})
    })()
    channels.set(projectId, channel)
    try {
      await channel.ready
    } catch (error) {
      channels.delete(projectId)
      await channel.unsubscribe?.().catch(() => {})
      throw error
    }
    return channel
  }

  const poller = setInterval(() => {
    for (const channel of channels.values()) {
      if (Number.isFinite(channel.cursor)) catchUp(channel).catch(() => {})
    }
  }, pollMs)
  poller.unref()

  return {
    /**
     * Adds a listener to the project's channel and resolves with the channel's cursor at that
     * moment: every event after it will be delivered to the listener, every event up to it is in
     * the log. Returns the function that removes the listener.
     */
    async join (projectId: string, listener: HubListener) {
      let channel = channels.get(projectId)
      if (!channel) {
        const opening = open(projectId)
        channel = await opening
        onWatch(projectId, true)
      } else {
        await channel.ready
      }
      channel.listeners.add(listener)
      const joined = channel
      return {
        cursor: joined.cursor,
        leave: () => {
          if (!joined.listeners.delete(listener) || joined.listeners.size > 0) return
          joined.closed = true
          if (channels.get(projectId) === joined) channels.delete(projectId)
          onWatch(projectId, false)
          joined.unsubscribe?.().catch(() => {})
        }
      }
    },

    /** Projects with at least one listener here. */
    watched: () => [...channels.keys()],

    /** Listeners per project on this instance (for metrics and tests). */
    listeners: (projectId: string) => channels.get(projectId)?.listeners.size ?? 0,

    async close () {
      clearInterval(poller)
      const open = [...channels.values()]
      channels.clear()
      await Promise.allSettled(open.map(async (channel) => {
        channel.closed = true
        await channel.unsubscribe?.()
      }))
    }
  }
}

export type Hub = ReturnType<typeof createHub>
