import type { FastifyReply } from 'fastify'
import { ROLES, type Role } from '../schemas/common.js'
import type { EventLog, LoggedEvent } from './event-log.js'
import type { Hub } from './hub.js'
import { Frame, SseConnection, type CloseReason, type StreamEncoding } from './sse-connection.js'
import { appendVary } from '../lib/vary.js'

export interface StreamRequest {
  projectId: string
  role: Role
  /** From Last-Event-ID or ?lastEventId; undefined = start at the current position. */
  lastEventId?: number
  encoding?: StreamEncoding
  /** When the caller's session ends; the stream is closed then so the client re-authenticates. */
  expiresAt?: Date
}

export interface StreamSettings {
  retryMs: number
  replayMax: number
  maxBufferBytes: number
}

export interface OpenStream {
  readonly connection: SseConnection
  readonly projectId: string
  readonly expiresAt?: Date
}

/** `data:` lines for a JSON value (JSON has no raw newlines, so it is always one line). */
const frameText = (event: string, data: unknown, id?: number) =>
  `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

// The same event goes to every stream of the project: its frame is built (and compressed) once per role.
const frames = new WeakMap<LoggedEvent, Map<Role, Frame | null>>()

/** The frame this role's streams get for an event; null when the event holds nothing for the role. */
export function frameFor (event: LoggedEvent, role: Role): Frame | null {
  let byRole = frames.get(event)
  if (!byRole) {
    byRole = new Map()
    frames.set(event, byRole)
  }
  let frame = byRole.get(role)
  if (frame === undefined) {
    if (event.type === 'action') {
      // Any role may read a project's actions (GET /api/integrations/actions): one frame for all.
      frame = new Frame(frameText('action', event.payload, event.seq))
      for (const r of ROLES) byRole.set(r, frame)
    } else {
      const envelope = event.payload.roles[role]
      frame = envelope ? new Frame(frameText('status', envelope, event.seq)) : null
      byRole.set(role, frame)
    }
  }
  return frame
}

type Replay =
  | { kind: 'live', position: number }
  | { kind: 'replay', position: number, events: LoggedEvent[] }
  | { kind: 'reset', position: number, reason: 'unknown_position' | 'expired' | 'too_far_behind' }

/** What a client resuming after `after` gets, given the channel's position `head`. */
async function planReplay (log: EventLog, projectId: string, after: number, head: number, max: number): Promise<Replay> {
  if (after > head) return { kind: 'reset', position: head, reason: 'unknown_position' }
  if (after === head) return { kind: 'replay', position: head, events: [] }
  const events = await log.after(projectId, after, max + 1)
  // Ids are gapless per project, so a first id past after + 1 means the retention removed some.
  if (events.length === 0 || events[0]!.seq !== after + 1) return { kind: 'reset', position: head, reason: 'expired' }
  if (events.length > max) return { kind: 'reset', position: head, reason: 'too_far_behind' }
  return { kind: 'replay', position: head, events }
}

/**
 * Opens one event stream: joins the project's channel first (buffering what arrives), reads the
 * replay, and only then answers, so a failure before the first byte is a normal JSON error. Then
 * the replay, the buffered events and live ones follow, deduplicated by id.
 */
export async function openStream (
  reply: FastifyReply,
  request: StreamRequest,
  deps: { hub: Hub, log: EventLog, settings: StreamSettings, onOpen (stream: OpenStream): void, onClose (stream: OpenStream, reason: CloseReason): void }
) {
  const { projectId, role, lastEventId } = request
  const { hub, log, settings } = deps
  let buffered: LoggedEvent[] | undefined = []
  let lastSent = -1

  // Only called once the stream below exists: until then deliveries are buffered.
  const send = (event: LoggedEvent) => {
    if (event.seq <= lastSent) return
    lastSent = event.seq
    const frame = frameFor(event, role)
    if (frame !== null) stream.connection.write(frame)
  }
  const joined = await hub.join(projectId, {
    deliver (event) {
      if (buffered) buffered.push(event)
      else send(event)
    }
  })
  let plan: Replay
  try {
    plan = lastEventId === undefined
      ? { kind: 'live', position: joined.cursor }
      : await planReplay(log, projectId, lastEventId, joined.cursor, settings.replayMax)
  } catch (error) {
    joined.leave()
    throw error
  }

  reply.hijack()
  const raw = reply.raw
  raw.writeHead(200, {
    ...reply.getHeaders() as Record<string, string>,
    'content-type': 'text/event-stream; charset=utf-8',
    // no-transform: proxies must not buffer or re-encode the stream.
    'cache-control': 'no-store, no-transform',
    // nginx would otherwise buffer the response.
    'x-accel-buffering': 'no',
    vary: appendVary(reply.getHeader('vary'), ['Accept-Encoding', 'Authorization', 'Cookie']),
    ...(request.encoding ? { 'content-encoding': request.encoding } : {})
  })
  const stream: OpenStream = {
    projectId,
    ...(request.expiresAt ? { expiresAt: request.expiresAt } : {}),
    connection: new SseConnection(raw, {
      ...(request.encoding ? { encoding: request.encoding } : {}),
      maxBufferBytes: settings.maxBufferBytes,
      onClose: (reason) => {
        joined.leave()
        deps.onClose(stream, reason)
      }
    })
  }
  const connection = stream.connection
  deps.onOpen(stream)
  // The client may have left while the replay was read; its 'close' came before our listener.
  if (!raw.socket || raw.socket.destroyed) {
    connection.end('client')
    return
  }

  // The first message: the retry hint and the current position. A fresh client takes the
  // position as its id; a resuming one keeps its own until the replay has moved it on.
  const ready = { position: plan.position, ...(lastEventId === undefined ? {} : { resumedFrom: lastEventId }) }
  connection.write(new Frame(`retry: ${settings.retryMs}\n${frameText('ready', ready, lastEventId === undefined ? plan.position : undefined)}`))
  if (plan.kind === 'reset') {
    connection.write(new Frame(frameText('reset', { position: plan.position, reason: plan.reason }, plan.position)))
    lastSent = plan.position
  } else if (plan.kind === 'live') {
    lastSent = plan.position
  } else {
    lastSent = lastEventId!
    for (const event of plan.events) send(event)
    // Everything up to the channel's position is in the log, so nothing lies between.
    lastSent = Math.max(lastSent, plan.position)
  }
  const pending = buffered
  buffered = undefined
  for (const event of pending) send(event)
}
