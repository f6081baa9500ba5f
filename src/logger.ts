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

export function loggerOptions (config: Pick<AppConfig, 'logLevel'>, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(stream ? { stream } : {})
  }
}
