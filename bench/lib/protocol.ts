import type { Provider, ScenarioName } from '../../test/simulator/simulator.js'

/** What the bench's processes tell each other (argv JSON in, `READY`/`RESULT` JSON out). */

export const PROVIDERS: Provider[] = ['github', 'vercel', 'sanity', 'supabase']

export interface StackSpec {
  runId: string
  instances: number
  /** taskset CPU list for the instances; the stack itself (simulator, seeding) runs where it was put. */
  instanceCpu?: string
  /** Unset = embedded (PGlite in memory, memory backends): one instance only. */
  databaseUrl?: string
  redisUrl?: string
  /**
   * How callers authenticate: 'es256' (default), tokens of an identity provider whose JWKS a
   * loopback server publishes (as in production with one), or 'hs256', tokens signed with the secret.
   */
  tokenKind?: 'es256' | 'hs256'
  /** Extra environment for every instance (STATUS_TTL_MS, LOG_LEVEL, …). */
  env: Record<string, string>
  /** `providers`: which providers each project of the group is linked to (default all four; [] = none). */
  groups: Array<{ name: string, count: number, scenarios?: Partial<Record<Provider, ScenarioName>>, providers?: Provider[] }>
}

export interface StackReady {
  urls: string[]
  control: string
  tokensFile: string
  /** The service instances' process ids (their resident memory is read through the control API). */
  pids: number[]
  /** The status route answered 404 ROUTE_NOT_FOUND: not built yet. */
  routeMissing: boolean
  seedSeconds: number
}

/** A provider call, compact: [projectId, provider, method, endpoint (path and query), at]. */
export type CallTuple = [string, Provider, string, string, number]

export type RequestSpec =
  /**
   * The same request every time; with `revalidate`, sent with If-None-Match, taking the ETag of
   * any 200 for the requests after it (as a browser does).
   */
  | { kind: 'fixed', path: string, headers?: Record<string, string>, revalidate?: { etag: string } }
  /** A project of a seeded group per request, by Zipf popularity (rank 1 = index 0). */
  | { kind: 'zipf', tokensFile: string, group: string, s: number, seed: number, path: string }
  /** Projects `from`, `from+1`, … of a group, each once: every request is a cache miss. */
  | { kind: 'sequence', tokensFile: string, group: string, from: number, count: number, path: string }
  /** Projects `from` … `from+count−1` of a group in turn, round and round: `count` distinct projects, evenly. */
  | { kind: 'cycle', tokensFile: string, group: string, from: number, count: number, path: string, headers?: Record<string, string> }

export interface LoadSpec {
  /** Base URLs; one autocannon run per target, all at once, with the options below each. */
  targets: string[]
  connections: number
  duration: number
  /** Requests per target, then stop (duration still bounds it). */
  amount?: number
  /** Requests per second per target (autocannon paces per second, so it comes in bursts). */
  overallRate?: number
  timeoutS?: number
  request: RequestSpec
  /** Also return when each request was issued and for which project index (steady state). */
  timeline?: boolean
}

export interface LoadResult {
  startedAt: number
  endedAt: number
  responses: number
  rps: number
  latencyMs: { p50: number, p95: number, p99: number, max: number, mean: number }
  statusCodes: Record<string, number>
  /** Responses that were neither 2xx nor 304, plus socket errors and timeouts. */
  errors: number
  socketErrors: number
  timeouts: number
  /** The generator's own CPU use over the run, 1 = one core busy (near 1: it may be the bottleneck). */
  cpu: number
  /** Sequence mode: requests that reused a project (should be 0). */
  reused: number
  timeline?: { at: number[], index: number[] }
}

export interface TokenEntry { projectId: string, jwt: string }
export interface TokensFile { groups: Record<string, TokenEntry[]> }
