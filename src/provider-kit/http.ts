import { Agent, errors as undiciErrors, request } from 'undici'
import { ProviderFailure } from './failure.js'

export interface ProviderResponse {
  status: number
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>
  /** Parsed JSON, or undefined when the body was empty or not JSON (error pages often are HTML). */
  body: unknown
}

export interface ProviderHttpOptions {
  /** Bodies beyond this are cut off and the call fails as `unknown` (default 1 MiB). */
  maxBodyBytes?: number
  /** Connection pool per origin (default 16). */
  connections?: number
  userAgent?: string
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/**
 * The one way adapters reach a provider: undici over a keep-alive pool per origin, every call
 * bound to the check's AbortSignal, bodies capped, JSON parsed defensively. Whatever goes wrong
 * on the wire comes out as a ProviderFailure (`timeout` or `unknown`), never as a raw error.
 */
export function createProviderHttp ({ maxBodyBytes = 1024 * 1024, connections = 16, userAgent = 'integration-status' }: ProviderHttpOptions = {}) {
  const agent = new Agent({
    connections,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
    connect: { timeout: 5_000 },
    // Backstops only: the check's signal is what normally ends a slow call.
    headersTimeout: 15_000,
    bodyTimeout: 15_000
  })

  async function requestJson (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string | URL, { headers = {}, body, form, signal }: RequestOptions): Promise<ProviderResponse> {
    const payload = form !== undefined
      ? { type: 'application/x-www-form-urlencoded', text: form.toString() }
      : body !== undefined ? { type: 'application/json', text: JSON.stringify(body) } : undefined
    try {
      const response = await request(url, {
        method,
        dispatcher: agent,
        signal,
        headers: {
          'user-agent': userAgent,
          accept: 'application/json',
          ...(payload ? { 'content-type': payload.type } : {}),
          ...headers
        },
        ...(payload ? { body: payload.text } : {})
      })
      let text: string
      try {
        text = await readCapped(response.body, maxBodyBytes)
      } catch (error) {
        // The provider answered in time but its body never ended (or was cut): a broken
        // response, not a slow one.
        if (error instanceof ProviderFailure) throw error
        throw new ProviderFailure('unknown', `response body from ${hostOf(url)} did not complete`, { status: response.statusCode, cause: error })
      }
      const type = String(response.headers['content-type'] ?? '')
      const parsed = parseJson(text, type)
      if (response.statusCode >= 200 && response.statusCode < 300 && parsed === INVALID) {
        throw new ProviderFailure('unknown', `malformed JSON in a ${response.statusCode} response from ${hostOf(url)}`, { status: response.statusCode })
      }
      return { status: response.statusCode, headers: flatten(response.headers), body: parsed === INVALID ? undefined : parsed }
    } catch (error) {
      throw asFailure(error, signal, url)
    }
  }

  return {
    getJson: (url: string | URL, options: Omit<RequestOptions, 'body' | 'form'>) => requestJson('GET', url, options),
    /** For actions: writes are never retried by this client (the caller decides what is safe). */
    requestJson,
    /**
     * Waits a moment for calls in flight, then cuts them: a provider holding an answer back must
     * not hold shutdown up (the checks are redone anywhere; actions were handed back).
     */
    async close () {
      let timer: NodeJS.Timeout | undefined
      const closed = await Promise.race([
        agent.close().then(() => true),
        new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), CLOSE_WAIT_MS) })
      ])
      clearTimeout(timer)
      if (!closed) await agent.destroy()
    }
  }
}

export interface RequestOptions {
  headers?: Record<string, string>
  /** Sent as JSON. */
  body?: unknown
  /** Sent form-encoded instead (OAuth token endpoints). */
  form?: URLSearchParams
  signal: AbortSignal
}

export type ProviderHttp = Pick<ReturnType<typeof createProviderHttp>, 'getJson' | 'requestJson'>
/** What a status check may do: read. */
export type ReadOnlyProviderHttp = Pick<ProviderHttp, 'getJson'>

const INVALID = Symbol('invalid json')

function parseJson (text: string, contentType: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    // An HTML error page is "no body", a broken JSON body is a malformed response.
    return contentType.includes('json') || /^\s*[[{]/.test(text) ? INVALID : undefined
  }
}

/** How long close() lets provider calls in flight finish before it aborts them. */
const CLOSE_WAIT_MS = 1_000

async function readCapped (body: AsyncIterable<Buffer> & { destroy (error?: Error): unknown }, limit: number) {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > limit) {
      body.destroy()
      throw new ProviderFailure('unknown', `response body larger than ${limit} bytes`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function flatten (headers: Record<string, string | string[] | undefined>) {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

function hostOf (url: string | URL) {
  try {
    return new URL(url).host
  } catch {
    return 'provider'
  }
}

function asFailure (error: unknown, signal: AbortSignal, url: string | URL): ProviderFailure {
  if (error instanceof ProviderFailure) return error
  const host = hostOf(url)
  if (signal.aborted) return new ProviderFailure('timeout', `call to ${host} aborted by its deadline`, { cause: error })
  const code = (error as { code?: string }).code
  if (code && TIMEOUT_CODES.has(code)) return new ProviderFailure('timeout', `${code} from ${host}`, { cause: error })
  if (error instanceof undiciErrors.RequestAbortedError) return new ProviderFailure('timeout', `call to ${host} aborted`, { cause: error })
  // Resets, refused connections, truncated bodies, DNS failures: the provider is unreachable.
  return new ProviderFailure('unknown', `${code ?? (error as Error).name ?? 'error'} from ${host}`, { cause: error })
}

/**
 * Seconds from a Retry-After header: either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * undefined when absent or unreadable.
 */
export function parseRetryAfter (value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000))
}

/** Seconds until an epoch-seconds instant, never negative. */
export const secondsUntilEpoch = (epochSeconds: number, now: number) => Math.max(0, Math.ceil(epochSeconds - now / 1000))
