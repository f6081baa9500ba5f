import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, ERROR_CATALOG, type ErrorCode, type ErrorDetail } from '../src/errors.js'

// Fastify's own errors that a client can cause, mapped onto the catalog.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'BAD_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'BAD_REQUEST'
}

/** Turns anything thrown into the catalog's code, status, message and details. */
export function toAppError (error: FastifyError | Error): AppError {
  if (error instanceof AppError) return error
  const fastifyError = error as FastifyError
  if (fastifyError.validation) return validationError(fastifyError)
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined
  if (mapped) return new AppError(mapped, mapped === 'BAD_REQUEST' ? fastifyError.message : undefined)
  // JSON.parse failures from the content-type parser arrive as SyntaxError with status 400.
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) return new AppError('INVALID_JSON')
  if (isDependencyDown(error)) return new AppError('SERVICE_UNAVAILABLE', undefined, { cause: error, headers: { 'retry-after': '5' } })
  const status = fastifyError.statusCode ?? 500
  if (status === 429) return new AppError('RATE_LIMITED', fastifyError.message)
  if (status >= 400 && status < 500) return new AppError(codeForStatus(status), fastifyError.message)
  return new AppError(status === 503 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_ERROR', undefined, { cause: error })
}

/** Connection-level failures of PostgreSQL or Redis: the request may succeed later (503), not a bug (500). */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03', '08000', '08003', '08006', '53300'])
function isDependencyDown (error: Error) {
  const code = (error as { code?: unknown }).code
  return error.name === 'MaxRetriesPerRequestError' ||
    (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) ||
    /^(Connection is closed|Stream isn't writeable)/.test(error.message)
}

function codeForStatus (status: number): ErrorCode {
  const match = (Object.keys(ERROR_CATALOG) as ErrorCode[]).find((code) => ERROR_CATALOG[code].status === status)
  return match ?? 'BAD_REQUEST'
}

function validationError (error: FastifyError): AppError {
  const where = error.validationContext as ErrorDetail['in'] | undefined
  const details: ErrorDetail[] = (error.validation ?? []).map((v) => ({
    path: v.instancePath || '/',
    ...(where ? { in: where } : {}),
    message: v.message ?? 'is invalid'
  }))
  // The one path parameter that names a provider gets its own code: clients branch on it.
  if (where === 'params' && details.some((d) => d.path === '/key')) return new AppError('UNKNOWN_PROVIDER', undefined, { details })
  const first = details[0]
  return new AppError('VALIDATION_FAILED', first ? `${where ?? 'request'}${first.path === '/' ? '' : first.path} ${first.message}` : undefined, { details })
}

/** The one error body; `requestId` ties it to the x-request-id header and the logs. */
function errorBody (statusCode: number, code: ErrorCode, message: string, requestId: string, details?: ErrorDetail[]) {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message, requestId, ...(details ? { details } : {}) }
}

export function sendError (request: FastifyRequest, reply: FastifyReply, error: AppError) {
  if (error.headers) reply.headers(error.headers)
  // Also here, not only in http-hardening: router errors skip the onRequest hooks.
  reply.header('x-request-id', request.id)
  // Below 500 the message helps the caller; above it may leak internals, so the catalog's text stands.
  const message = error.statusCode >= 500 ? ERROR_CATALOG[error.code].message : error.message
  return reply.code(error.statusCode).type('application/json; charset=utf-8')
    .send(errorBody(error.statusCode, error.code, message, String(request.id), error.details))
}

/**
 * For requests so broken that Node's HTTP parser rejects them (bad Content-Length, both
 * Content-Length and Transfer-Encoding): no Fastify request exists, so the body is written raw.
 */
export function writeClientError (error: Error & { code?: string }, socket: Duplex) {
  if (!socket.writable) return
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW'
  const code: ErrorCode = tooLarge ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST'
  const status = ERROR_CATALOG[code].status
  const body = JSON.stringify(errorBody(status, code, tooLarge ? ERROR_CATALOG[code].message : 'Malformed HTTP request', randomUUID()))
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}

export default fp(async function errorsPlugin (fastify) {
  fastify.setErrorHandler(function (error: FastifyError, request, reply) {
    const appError = toAppError(error)
    if (appError.statusCode >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: appError.code, statusCode: appError.statusCode }, appError.message)
    return sendError(request, reply, appError)
  })
  // JSON is the only body this API reads; without this, Fastify's text/plain parser would accept
  // text bodies and answer with a misleading validation error instead of 415.
  fastify.removeContentTypeParser('text/plain')
  fastify.setNotFoundHandler(function (request, reply) {
    return sendError(request, reply, new AppError('ROUTE_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`))
  })
}, { name: 'errors', fastify: '5.x' })
