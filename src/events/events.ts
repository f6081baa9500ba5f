import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { Counter, Gauge } from 'prom-client'
import { createEventLog, type LoggedEvent } from './event-log.js'
import { createHub, eventsChannel } from './hub.js'
import { createStatusLeader } from './status-leader.js'
import { openStream, type OpenStream, type StreamRequest } from './stream.js'
import { Frame, HEARTBEAT } from './sse-connection.js'
import { ROLES } from '../schemas/common.js'
import { setBounded } from '../lib/bounded-map.js'

/** Status responses may be built from copies this old (LOCAL_COPY_MS plus margin; see snapshotPosition). */
const SNAPSHOT_MARGIN_MS = 2_000
/** An instance reuses a project's snapshot position this long: an older position is always safe. */
const POSITION_REUSE_MS = 1_000
const MAX_REMEMBERED_POSITIONS = 10_000
const PRUNE_EVERY_MS = 10 * 60_000

/**
 * Real-time updates: the durable event log, one pub/sub channel per watched project, the status
 * leader that turns checks into status events, and the open SSE streams. `fastify.events`.
 */
export function createEvents (fastify: FastifyInstance) {
  const { backends, aggregator, config } = fastify
  const settings = config.events
  const logger = fastify.log
  const log = createEventLog(fastify.db)
  const streams = new Set<OpenStream>()
  let closing = false

  const announce = (event: LoggedEvent) => {
    backends.pubsub.publish(eventsChannel(event.projectId), JSON.stringify({ event }))
      // The event is in the log: streams still get it at their next poll.
      .catch((error: unknown) => logger.warn({ err: error, projectId: event.projectId, seq: event.seq }, 'could not announce an event'))
  }

  const leader = createStatusLeader({
    locks: backends.locks,
    logger,
    tickMs: settings.refreshTickMs,
    minIntervalMs: settings.statusMinIntervalMs,
    roles: ROLES,
    snapshot: aggregator.snapshot,
    refreshDue: aggregator.refreshDue,
    append: log.appendStatus,
    announce
  })
  const hub = createHub({
    pubsub: backends.pubsub,
    log,
    logger,
    pollMs: settings.pollMs,
    onTouched: leader.touched,
    onWatch: (projectId, watching) => (watching ? leader.watch(projectId) : leader.unwatch(projectId))
  })
  // A check stored on any instance may change what the leader (wherever it runs) would publish.
  aggregator.onChange((projectId) => {
    backends.pubsub.publish(eventsChannel(projectId), '{"touched":true}').catch(() => {})
  })

  const metrics = {
    open: new Gauge({ name: 'sse_streams_open', help: 'Open event streams on this instance', registers: [fastify.metrics.registry], collect () { this.set(streams.size) } }),
    closed: new Counter({ name: 'sse_streams_closed_total', help: 'Closed event streams by reason (client, slow, shutdown, expired, error)', labelNames: ['reason'] as const, registers: [fastify.metrics.registry] })
  }

  const retryFrame = new Frame(`retry: ${settings.retryMs}\n\n`)
  const heartbeat = setInterval(() => {
    const now = Date.now()
    for (const stream of streams) {
      if (stream.expiresAt && stream.expiresAt.getTime() <= now) stream.connection.finish(retryFrame, 'expired')
      else stream.connection.write(HEARTBEAT)
    }
  }, settings.heartbeatMs)
  heartbeat.unref()

  const prune = setInterval(() => {
    log.prune(settings.retentionMs)
      .then((removed) => { if (removed > 0) logger.info({ removed }, 'pruned old events') })
      .catch((error: unknown) => logger.warn({ err: error }, 'could not prune events'))
  }, PRUNE_EVERY_MS)
  prune.unref()

  const positions = new Map<string, { position: number, at: number }>()

  return {
    log,
    announce,
    leader,
    hub,

    /** Answers the request with a stream (or throws before the first byte). */
    async stream (reply: FastifyReply, request: StreamRequest) {
      await openStream(reply, request, {
        hub,
        log,
        settings,
        onOpen: (stream) => {
          streams.add(stream)
          // Shutdown began while this one was being opened.
          if (closing) stream.connection.finish(retryFrame, 'shutdown')
        },
        onClose: (stream, reason) => {
          streams.delete(stream)
          metrics.closed.inc({ reason })
        }
      })
    },

    /**
     * The position to stream from after a status snapshot taken now (see the status route's
     * Events-Position header). Read before the snapshot; a remembered older one is just as safe.
     */
    async snapshotPosition (projectId: string) {
      const remembered = positions.get(projectId)
      if (remembered && performance.now() - remembered.at < POSITION_REUSE_MS) return remembered.position
      try {
        const position = await log.snapshotPosition(projectId, SNAPSHOT_MARGIN_MS)
        setBounded(positions, projectId, { position, at: performance.now() }, MAX_REMEMBERED_POSITIONS)
        return position
      } catch (error) {
        // PostgreSQL down: the status is still served; an older position is still correct.
        logger.warn({ err: error, projectId }, 'could not read the event position')
        return remembered?.position
      }
    },

    /** Open streams on this instance. */
    openStreams: () => streams.size,

    /** Closes every stream with a retry hint, so clients resume elsewhere from their last id. */
    shutdownStreams () {
      closing = true
      // Spread the reconnects, so the instances left are not hit by every client at once.
      for (const stream of streams) stream.connection.finish(new Frame(`retry: ${Math.round(250 + Math.random() * settings.retryMs)}\n\n`), 'shutdown')
    },

    async close () {
      clearInterval(heartbeat)
      clearInterval(prune)
      await leader.close()
      await hub.close()
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    events: ReturnType<typeof createEvents>
  }
}

export default fp(async function eventsPlugin (fastify) {
  const events = createEvents(fastify)
  fastify.decorate('events', events)
  // preClose runs before the server stops waiting for open requests: streams must end first.
  fastify.addHook('preClose', async () => { events.shutdownStreams() })
  fastify.addHook('onClose', async () => { await events.close() })
}, { name: 'events', dependencies: ['config', 'db', 'backends', 'aggregator', 'metrics'], fastify: '5.x' })
