import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import type { DestinationStream } from 'pino'
import fp from 'fastify-plugin'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import app, { type AppOptions } from './app.js'
import { addRequestLog, fastifyLogging } from './logger.js'
import { AJV_OPTIONS, buildValidatorFactory } from './lib/validation.js'
import { sendError, toAppError, writeClientError } from '../plugins/errors.js'

const REQUEST_ID = /^[\w.:-]{1,128}$/

/**
 * Ids for requests that bring none: this app's random prefix and a counter, unique across instances
 * and restarts without a random draw per request (randomUUID was a visible share of a warm request).
 */
function requestIds () {
  const prefix = randomBytes(12).toString('base64url')
  let count = 0
  return () => `${prefix}-${(++count).toString(36)}`
}

export interface BuildOptions extends AppOptions {
  /** Where log lines go (tests capture them); stdout, written asynchronously, by default. */
  logStream?: DestinationStream
}

/** A Fastify instance with the app registered, not listening. Await `.ready()` or `.listen()`. */
export function buildApp ({ logStream, ...options }: BuildOptions) {
  const { config } = options
  const nextRequestId = requestIds()
  const fastify = Fastify({
    // One line per completed request (addRequestLog below), and a request's child logger made
    // only when something is written.
    ...fastifyLogging(config, logStream),
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    // Honour a caller's request id when it is harmless, so one id follows a call across services.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id']
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : nextRequestId()
    },
    // Longer than any valid path parameter (ProjectId allows 128), so the schema decides, not the router.
    routerOptions: { maxParamLength: 256 },
    // Router errors (a broken %-escape) and HTTP parser errors get the catalog's shape too.
    frameworkErrors: (error, request, reply) => sendError(request, reply, toAppError(error)),
    clientErrorHandler: writeClientError,
    ajv: AJV_OPTIONS,
    schemaController: { compilersFactory: { buildValidator: buildValidatorFactory() } },
    // Let in-flight requests finish on close, but stop keeping idle sockets alive.
    forceCloseConnections: 'idle',
    // The embedded database's first start (initdb in WebAssembly) can take well over the 10 s default.
    pluginTimeout: 120_000,
    return503OnClosing: true
  }).withTypeProvider<TypeBoxTypeProvider>()
  addRequestLog(fastify, config)
  // fp: the app's decorators (db, swagger, …) stay visible on the instance callers hold.
  fastify.register(fp(app, { name: 'integration-status' }), options)
  return fastify
}
