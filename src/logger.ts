import type { FastifyServerOptions } from 'fastify'
import type { AppConfig } from '../plugins/config.js'

/**
 * pino options. Redaction covers every place a secret can sit in a log line: auth headers,
 * cookies (both ways), and any field called token, credentials, password or secret.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.token', '*.accessToken', '*.refreshToken', '*.credentials', '*.password', '*.secret', '*.databaseUrl',
  '*.*.token', '*.*.credentials', '*.*.databaseUrl'
]

/** Query parameters whose values are secrets (the OAuth callback's code and state, tokens, signatures). */
const SENSITIVE_QUERY = /code|state|token|secret|password|signature|key/i

/** The URL as logged: the values of sensitive query parameters replaced. */
export function redactUrl (url: string) {
  const q = url.indexOf('?')
  if (q === -1) return url
  const pairs = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=')
    if (eq === -1) return pair
    let name = pair.slice(0, eq)
    try {
      name = decodeURIComponent(name)
    } catch {}
    return SENSITIVE_QUERY.test(name) ? `${pair.slice(0, eq)}=[redacted]` : pair
  })
  return `${url.slice(0, q)}?${pairs.join('&')}`
}

export function loggerOptions (config: Pick<AppConfig, 'logLevel'>, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Fastify's default request serializer, with the query's secrets masked: request URLs are
      // logged on every request, and the OAuth callback carries the authorization code in its query.
      req: (request: { method: string, url: string, host?: string, ip?: string, socket?: { remotePort?: number } }) => ({
        method: request.method,
        url: redactUrl(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort
      })
    },
    ...(stream ? { stream } : {})
  }
}
