import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import type { CheckStatus } from '../../src/provider-kit/manifest.js'

/**
 * The Supabase latency probe: `SELECT 1` over the project's own database URL, one small pool per
 * URL so repeated checks skip the TLS and auth handshake. Never throws; a failure is a finding.
 */

export type ProbeOutcome =
  | { ok: true, latencyMs: number }
  | { ok: false, status: Exclude<CheckStatus, 'connected'>, summary: string, hint: string, suggestReconnect?: boolean }

export interface DatabaseProbeOptions {
  /** Bounds the TCP, TLS and startup handshake, and the wait for the pool's one connection. */
  connectionTimeoutMs?: number
  maxPools?: number
  samples?: number
}

const noop = () => {}

export function createDatabaseProbe ({ connectionTimeoutMs = 2_500, maxPools = 50, samples = 3 }: DatabaseProbeOptions = {}) {
  // Insertion order doubles as recency order: a hit is moved to the end, the first entry is evicted.
  const pools = new Map<string, pg.Pool>()

  function poolFor (databaseUrl: string) {
    const key = createHash('sha256').update(databaseUrl).digest('hex')
    let pool = pools.get(key)
    if (pool) {
      pools.delete(key)
    } else {
      pool = new pg.Pool({
        connectionString: databaseUrl,
        max: 1,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: connectionTimeoutMs,
        allowExitOnIdle: true,
        application_name: 'integration-status'
      })
      // An idle connection dropped by the server emits 'error'; unheard, it would crash the process.
      pool.on('error', noop)
      while (pools.size >= maxPools) {
        const [oldest, evicted] = pools.entries().next().value!
        pools.delete(oldest)
        evicted.end().catch(noop)
      }
    }
    pools.set(key, pool)
    return pool
  }

  async function measure (pool: pg.Pool, signal: AbortSignal) {
    const client = await pool.connect()
    let released = false
    // A destroyed connection is the only way to stop a query pg is still waiting on.
    const release = (destroy?: Error) => {
      if (released) return
      released = true
      client.removeListener('error', noop)
      client.release(destroy)
    }
    const onAbort = () => release(new Error('latency probe aborted'))
    client.on('error', noop)
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      if (signal.aborted) throw new Error('latency probe aborted')
      let total = 0
      for (let i = 0; i < samples; i++) {
        const started = performance.now()
        await client.query('SELECT 1')
        total += performance.now() - started
      }
      return Math.round(total / samples)
    } catch (error) {
      release(error as Error)
      throw error
    } finally {
      signal.removeEventListener('abort', onAbort)
      release()
    }
  }

  return {
    async probe (databaseUrl: string, signal: AbortSignal): Promise<ProbeOutcome> {
      if (signal.aborted) return UNREACHABLE
      try {
        const latencyMs = await untilAborted(measure(poolFor(databaseUrl), signal), signal)
        return { ok: true, latencyMs }
      } catch (error) {
        return classify(error)
      }
    },
    get size () { return pools.size },
    async close () {
      const all = [...pools.values()]
      pools.clear()
      await Promise.all(all.map((pool) => pool.end().catch(noop)))
    }
  }
}

export type DatabaseProbe = ReturnType<typeof createDatabaseProbe>

/** pg cannot cancel a connect or a query; the check must still end when its deadline does. */
function untilAborted<T> (work: Promise<T>, signal: AbortSignal) {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('latency probe aborted'))
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

const UNREACHABLE: ProbeOutcome = {
  ok: false,
  status: 'error',
  summary: 'Database unreachable',
  hint: 'Check that the database URL points at a running project that accepts connections'
}

/** pg's messages name the host, user and database: only the SQLSTATE is read, never the text. */
function classify (error: unknown): ProbeOutcome {
  if (!(error instanceof pg.DatabaseError)) return UNREACHABLE
  switch (error.code) {
    case '28P01':
    case '28000':
      return { ok: false, status: 'error', summary: 'Database login failed', hint: 'Reconnect Supabase with a database URL whose user and password are current', suggestReconnect: true }
    case '53300':
      return { ok: false, status: 'warning', summary: 'Database connection limit reached', hint: 'Close idle connections or connect through the Supabase connection pooler' }
    case '57P03':
      return { ok: false, status: 'warning', summary: 'Database starting up', hint: 'The database is not accepting connections yet; it should recover on its own' }
    case '3D000':
      return { ok: false, status: 'error', summary: 'Database not found', hint: 'Reconnect Supabase with a database URL that names an existing database', suggestReconnect: true }
    case '57P01':
      return UNREACHABLE
    default:
      return { ok: false, status: 'error', summary: 'Database check failed', hint: 'The database refused the latency check (SELECT 1); check the database URL and its user' }
  }
}
