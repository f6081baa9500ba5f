/**
 * What the SSE benchmark's processes tell each other (argv JSON in, `READY` JSON out, then small
 * control routes). Every instant is `performance.timeOrigin + performance.now()` (epoch ms with
 * sub-millisecond precision), so instants of processes on one machine compare.
 */

export const nowMs = () => performance.timeOrigin + performance.now()

/** bench/sse-clients.ts argv. */
export interface ClientSpec {
  /** The stream's full URL (http only). */
  url: string
  headers: Record<string, string>
  count: number
  /** Connections opening at once (connect → `ready` frame); more would overflow the listen backlog. */
  concurrency: number
  /** Action events recorded per client (warm-ups included). */
  events: number
  openTimeoutS: number
}

/** The READY line of bench/sse-clients.ts, once every client has its `ready` frame or has failed. */
export interface ClientsReady {
  control: string
  pid: number
  requested: number
  ready: number
  failed: number
  /** Why clients failed (`HTTP 503`, `ECONNRESET`, `open timeout`, …) → how many. */
  errors: Record<string, number>
  /** From the first connect to the last `ready` frame. */
  openMs: number
}

/** GET /wait?k=&trigger=&timeoutMs= of bench/sse-clients.ts. */
export interface WaitResult {
  /** Arrival − trigger (ms) of action event k, for every client that has it. */
  latencies: number[]
  /** Open clients without event k when the wait ended (0 unless it timed out). */
  missing: number
  /** Clients still open. */
  live: number
  /** Clients closed by the server (or failed) after their `ready` frame, so far. */
  dropped: number
  /** `status` frames seen so far, all clients together. */
  statusFrames: number
}

/** READY line of both SSE servers. */
export interface ServerReady { url: string, pid: number }

/** The memory route of both SSE servers (GET /mem, GET /__bench/mem), with `?gc=1` after a full GC. */
export interface ServerMemory extends NodeJS.MemoryUsage {
  /** Open streams as the server counts them (the service: `app.events.openStreams()`). */
  openStreams: number
}

/** What one broadcast (baseline) or emit (service) answers. */
export interface TriggerResult {
  seq: number
  /** Bytes of the event frame each stream gets. */
  frameBytes: number
  streams: number
  /** When the server began handling the trigger request. */
  receivedAt: number
  /** Service only: the event's transaction committed (it is announced right after). */
  committedAt?: number
  /** The frame was handed to every stream's socket. */
  writtenAt: number
}
