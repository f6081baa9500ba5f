/**
 * Retry-After handling for 429 and 503 (and any status the caller adds): the service sends
 * `Retry-After` in seconds on its rate limit, on 503 when storage is unreachable, and on 409
 * while an Idempotency-Key is still being accepted. Retrying a POST with the same
 * Idempotency-Key is safe: the service never runs one key twice.
 */

export interface RetryOptions {
  /** Total attempts, the first included (default 3). */
  attempts?: number
  /** Statuses that are retried (default 429 and 503). */
  statuses?: readonly number[]
  /** Longest wait honoured; a longer Retry-After is returned to the caller instead (default 30 s). */
  maxWaitMs?: number
  /** Wait when a retried status carries no usable Retry-After (default 1 s). */
  defaultWaitMs?: number
  signal?: AbortSignal
  /** Injectable for tests and custom schedulers. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

/** Milliseconds the response asks to wait (delay-seconds or an HTTP-date), or undefined. */
export function retryAfterMs (response: Pick<Response, 'headers'>, now = Date.now()): number | undefined {
  const value = response.headers.get('retry-after')?.trim()
  if (!value) return undefined
  if (/^[0-9]+$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

export function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Calls `call` until its response is not a retried status, waiting what `Retry-After` says
 * (bounded by maxWaitMs) between attempts; resolves with the last result. Works with
 * openapi-fetch results (`{ data, error, response }`) and anything else holding a `response`.
 */
export async function withRetry<T extends { response: Response }> (call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { attempts = 3, statuses = [429, 503], maxWaitMs = 30_000, defaultWaitMs = 1000, signal, sleep: wait = sleep } = options
  for (let attempt = 1; ; attempt++) {
    const result = await call()
    const status = result.response.status
    if (!statuses.includes(status) || attempt >= attempts) return result
    const waitMs = retryAfterMs(result.response) ?? defaultWaitMs
    if (waitMs > maxWaitMs) return result
    // Nobody reads this body any more (openapi-fetch has usually read it already): free the connection.
    if (!result.response.bodyUsed) await result.response.body?.cancel().catch(() => {})
    await wait(waitMs, signal)
  }
}
