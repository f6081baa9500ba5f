import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose'

/** A JWKS larger than this is refused: key sets are a few KiB. */
const MAX_JWKS_BYTES = 512 * 1024

export interface JwksOptions {
  url: string
  /** Floor and ceiling on how long a fetched set is kept, whatever its cache headers say. */
  minTtlMs: number
  maxTtlMs: number
  /** Least time between two fetches caused by an unknown kid or by a failed fetch. */
  refetchMs: number
  timeoutMs: number
  /** After every fetch: whether it worked, and why not (never the body). */
  onFetch? (outcome: { ok: true, keys: number } | { ok: false, error: string }): void
}

/** The key set cannot be had: never fetched, or the last fetch failed and no cached key matches. */
export class JwksUnavailableError extends Error {
  override name = 'JwksUnavailableError'
}

/**
 * How long a JWKS response may be kept, from its Cache-Control (`no-store`/`no-cache` → the
 * floor, `max-age` minus `Age`) or `Expires`, clamped to [minTtlMs, maxTtlMs]. No header → floor.
 */
export function cacheTtlMs (headers: Headers, minTtlMs: number, maxTtlMs: number) {
  const clamp = (ms: number) => Math.min(maxTtlMs, Math.max(minTtlMs, ms))
  const cacheControl = (headers.get('cache-control') ?? '').toLowerCase()
  if (/(^|[\s,])(no-store|no-cache)([\s,=]|$)/.test(cacheControl)) return minTtlMs
  const maxAge = /(?:^|[\s,])max-age\s*=\s*"?(\d+)"?/.exec(cacheControl)
  if (maxAge) {
    const age = Number(headers.get('age') ?? 0)
    return clamp((Number(maxAge[1]) - (Number.isFinite(age) ? age : 0)) * 1000)
  }
  const expires = Date.parse(headers.get('expires') ?? '')
  if (Number.isFinite(expires)) {
    const date = Date.parse(headers.get('date') ?? '')
    return clamp(expires - (Number.isFinite(date) ? date : Date.now()))
  }
  return minTtlMs
}

/**
 * The identity provider's public keys, fetched from its JWKS URL and kept as its cache headers
 * allow (within a floor and a ceiling), refreshed in the background when they run out. A token
 * whose kid is not in the set causes at most one fetch per `refetchMs`, shared by every request
 * waiting for it, so forged kids never become a flood of fetches. When a fetch fails the keys
 * already held keep working; a key removed from the set stops working once a fetch succeeds.
 * Key selection and import are jose's (createLocalJWKSet): no hand-written crypto here.
 */
export function createJwksKeys (options: JwksOptions) {
  const { url, minTtlMs, maxTtlMs, refetchMs, timeoutMs } = options
  let keySet: ReturnType<typeof createLocalJWKSet> | undefined
  let keyCount = 0
  let document = ''
  let generation = 0
  let expiresAt = 0
  let lastAttemptAt = -Infinity
  let lastError: string | undefined
  let fetches = 0
  let inFlight: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined
  let closed = false

  const now = () => performance.now()

  function schedule (delayMs: number) {
    clearTimeout(timer)
    if (closed) return
    timer = setTimeout(() => { refresh().catch(() => {}) }, delayMs)
    timer.unref()
  }

  async function fetchOnce () {
    lastAttemptAt = now()
    fetches++
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) })
      if (!response.ok) {
        await response.body?.cancel()
        throw new Error(`HTTP ${response.status}`)
      }
      const text = await response.text()
      if (text.length > MAX_JWKS_BYTES) throw new Error('response too large')
      let json: JSONWebKeySet
      try {
        json = JSON.parse(text) as JSONWebKeySet
      } catch {
        throw new Error('response is not JSON')
      }
      const set = createLocalJWKSet(json)
      keySet = set
      keyCount = json.keys.length
      // A cache of verified tokens keys its entries on this: a changed set invalidates them all.
      if (text !== document) generation++
      document = text
      lastError = undefined
      const ttl = cacheTtlMs(response.headers, minTtlMs, maxTtlMs)
      expiresAt = now() + ttl
      schedule(ttl)
      options.onFetch?.({ ok: true, keys: keyCount })
    } catch (error) {
      const reason = error instanceof errors.JOSEError ? 'not a valid JWKS' : (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message
      lastError = `JWKS fetch failed: ${reason}`
      schedule(refetchMs)
      options.onFetch?.({ ok: false, error: lastError })
    }
  }

  /** Fetches the set now, or joins the fetch already under way. */
  function refresh () {
    inFlight ??= fetchOnce().finally(() => { inFlight = undefined })
    return inFlight
  }

  /** Whether an on-demand fetch is allowed now (one per refetchMs, whatever caused the last). */
  const mayFetch = () => now() - lastAttemptAt >= refetchMs

  return {
    /** jose's key resolver: the key for a token's header, fetching the set when allowed. */
    async getKey (header: JWSHeaderParameters, token: FlattenedJWSInput) {
      if (inFlight) await inFlight
      else if ((!keySet || now() >= expiresAt) && mayFetch()) await refresh()
      if (!keySet) throw new JwksUnavailableError(lastError ?? 'JWKS not fetched yet')
      try {
        return await keySet(header, token)
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey)) throw error
        // A kid we do not know: perhaps the provider rotated its keys. One fetch per interval.
        if (inFlight) await inFlight
        else if (mayFetch()) await refresh()
        else if (lastError !== undefined) throw new JwksUnavailableError(lastError)
        else throw error
        if (lastError !== undefined) throw new JwksUnavailableError(lastError)
        return await keySet(header, token)
      }
    },
    refresh,
    /** Changes whenever the fetched set differs from the one before. */
    get generation () { return generation },
    status () {
      return { keys: keyCount, fetches, ok: keySet !== undefined && lastError === undefined, hasKeys: keySet !== undefined, ...(lastError ? { error: lastError } : {}) }
    },
    close () {
      closed = true
      clearTimeout(timer)
    }
  }
}

export type JwksKeys = ReturnType<typeof createJwksKeys>
