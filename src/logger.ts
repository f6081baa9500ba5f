import { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions, type HookHandlerDoneFunction } from 'fastify'
import { destination, levels, type DestinationStream } from 'pino'
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

/**
 * Log lines written asynchronously (sonic-boom), in batches while a write is under way: at the
 * production level every request writes one line, and a synchronous write per line cost more than
 * the rest of a warm request. pino flushes what is still buffered when the process exits; a
 * SIGKILL loses at most the lines of the last few milliseconds. One per file descriptor, so the
 * apps of one process (tests) never interleave partial lines.
 */
const destinations = new Map<number, DestinationStream>()
export function asyncDestination (fd: 1 | 2 = 1): DestinationStream {
  let stream = destinations.get(fd)
  if (stream === undefined) destinations.set(fd, stream = destination({ dest: fd, sync: false }))
  return stream
}

export function loggerOptions (config: Pick<AppConfig, 'logLevel'>, stream: DestinationStream = asyncDestination()): FastifyServerOptions['logger'] {
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
    stream
  }
}

type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>
/** What Fastify's logger is (pino), beyond FastifyBaseLogger's type. */
type PinoLogger = FastifyBaseLogger & { isLevelEnabled (level: string): boolean, bindings (): Bindings }
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

/** Whether a logger at `configured` writes lines of `level` (pino's own level numbers; 'silent' writes none). */
export function levelEnabled (configured: string, level: Level) {
  const at = levels.values[configured]
  return at !== undefined && at <= levels.values[level]!
}

/**
 * A request's logger that becomes a real pino child (bindings serialized, redaction prepared) only
 * when a line is actually written: most requests log nothing at the production level, and a child
 * per request was a visible share of the authenticated floor's profile. Level checks go to the
 * parent, which has the same level unless the route asks for its own (then the child is made at once).
 */
class LazyRequestLogger {
  #parent: PinoLogger
  #bindings: Bindings
  #options: ChildLoggerOptions
  #real: PinoLogger | undefined

  constructor (parent: PinoLogger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
    if (options.level !== undefined) this.#real = parent.child(bindings, options) as PinoLogger
  }

  #logger () {
    return (this.#real ??= this.#parent.child(this.#bindings, this.#options) as PinoLogger)
  }

  #write (level: Level, args: unknown[]) {
    const target = this.#real ?? (this.#parent.isLevelEnabled(level) ? this.#logger() : undefined)
    if (target) (target[level] as (...a: unknown[]) => void)(...args)
  }

  get level () { return (this.#real ?? this.#parent).level }
  set level (value: string) { this.#logger().level = value }
  isLevelEnabled (level: string) { return (this.#real ?? this.#parent).isLevelEnabled(level) }
  bindings () { return this.#logger().bindings() }
  child (bindings: Bindings, options?: ChildLoggerOptions) { return this.#logger().child(bindings, options) }
  fatal (...args: unknown[]) { this.#write('fatal', args) }
  error (...args: unknown[]) { this.#write('error', args) }
  warn (...args: unknown[]) { this.#write('warn', args) }
  info (...args: unknown[]) { this.#write('info', args) }
  debug (...args: unknown[]) { this.#write('debug', args) }
  trace (...args: unknown[]) { this.#write('trace', args) }
  silent () {}
}

/** Fastify's childLoggerFactory: a lazy child per request. */
function lazyChildLogger (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyRequestLogger(logger as PinoLogger, bindings, options) as unknown as FastifyBaseLogger
}

/**
 * One line per request, when it completes (its method, URL with secrets masked, status and time),
 * instead of Fastify's two: the hook exists only when the level writes info lines.
 */
function logCompletedRequest (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
  request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
  done()
}

/**
 * The logging part of Fastify's options, in one place for the app and its tests: pino as above,
 * Fastify's own request lines off (addRequestLog writes one line instead of two), and a request's
 * child logger made only when something is written.
 */
export function fastifyLogging (config: Pick<AppConfig, 'logLevel'>, stream?: DestinationStream) {
  return {
    logger: loggerOptions(config, stream),
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLogger
  }
}

/** The request-completed line; no hook at all when the level writes no info lines. */
export function addRequestLog (fastify: FastifyInstance, config: Pick<AppConfig, 'logLevel'>) {
  if (levelEnabled(config.logLevel, 'info')) fastify.addHook('onResponse', logCompletedRequest)
}
