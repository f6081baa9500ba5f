import { Type, type TSchema } from '@sinclair/typebox'

/**
 * Response headers, by their canonical names (HTTP is case-insensitive; generated clients are
 * not). Route schemas list the ones particular to them; these are the ones shared by many, and
 * the OpenAPI document publishes each once under components.headers.
 */

/** Seconds; sent with 503 (a dependency is down), 429 (rate limited) and 409 (a key still being accepted). */
export const RetryAfter = Type.Integer({ minimum: 0, maximum: 86400, format: 'int32', description: 'Seconds to wait before trying again' })

/** IETF draft "RateLimit header fields for HTTP", as @fastify/rate-limit sends it (enableDraftSpec). */
export const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': Type.Integer({ minimum: 0, maximum: 1_000_000, format: 'int32', description: 'Requests allowed in the window' }),
  'RateLimit-Remaining': Type.Integer({ minimum: 0, maximum: 1_000_000, format: 'int32', description: 'Requests left in the window' }),
  'RateLimit-Reset': Type.Integer({ minimum: 0, maximum: 86400, format: 'int32', description: 'Seconds until the window resets' })
}

/** Sent on every answer that passed through the app's hooks (plugins/http-hardening.ts, plugins/errors.ts, @fastify/cors). */
export const COMMON_RESPONSE_HEADERS: Record<string, TSchema> = {
  'X-Request-Id': Type.String({
    pattern: '^[\\w.:-]{1,128}$',
    maxLength: 128,
    description: 'The request\'s id (the caller\'s X-Request-Id when it is harmless, else one made here from a per-process random prefix and a counter); also in error bodies and the logs'
  }),
  'X-Content-Type-Options': Type.Literal('nosniff', { description: 'No MIME sniffing' }),
  'X-Frame-Options': Type.Literal('DENY', { description: 'No framing' }),
  'Referrer-Policy': Type.Literal('no-referrer', { description: 'No Referer to other sites' }),
  Vary: Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9-]+(, *[A-Za-z0-9-]+)*$', description: 'Origin (when the request sent one), Accept-Encoding on answers that may be compressed, Authorization and Cookie on answers that depend on the caller' }),
  'Access-Control-Allow-Origin': Type.String({ maxLength: 2048, pattern: '^https?://[^\\s]+$', description: 'Only for a browser origin in ALLOWED_ORIGINS' }),
  'Access-Control-Allow-Credentials': Type.Literal('true', { description: 'With Access-Control-Allow-Origin: the session cookie may be sent' }),
  'Access-Control-Expose-Headers': Type.String({ maxLength: 500, pattern: '^[A-Za-z0-9-]+(, *[A-Za-z0-9-]+)*$', description: 'With Access-Control-Allow-Origin: the headers a page may read' })
}

/** On answers compressed for a client that sent Accept-Encoding (then Vary names Accept-Encoding too). */
export const ContentEncoding = Type.Union([Type.Literal('br'), Type.Literal('gzip')], { description: 'The body is compressed (brotli or gzip) as the Accept-Encoding request header allowed' })

/** What some statuses carry, wherever they are answered. */
export const STATUS_HEADERS: Record<string, Record<string, TSchema>> = {
  409: { 'Retry-After': RetryAfter },
  429: { 'Retry-After': RetryAfter, ...RATE_LIMIT_HEADERS },
  503: { 'Retry-After': RetryAfter }
}

/** The session cookies (HttpOnly session, readable CSRF token), set or cleared. */
export const SetCookie = Type.String({ maxLength: 8192, pattern: '^[^\\u0000\\r\\n]+$', description: 'The session cookie (HttpOnly) and the CSRF cookie; two Set-Cookie fields' })
