import type { TSchema } from '@sinclair/typebox'
import { STATUS_CODES } from 'node:http'
import { COMMON_RESPONSE_HEADERS, RATE_LIMIT_HEADERS, RetryAfter, STATUS_HEADERS } from './schemas/http-headers.js'
import { ERROR_CATALOG } from './errors.js'

type Json = Record<string, any>

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'] as const

/** A JSON Schema as an OpenAPI header object: the description moves up, as @fastify/swagger does for route headers. */
function headerObject (schema: TSchema): Json {
  const { description, ...rest } = JSON.parse(JSON.stringify(schema)) as Json
  return { ...(description ? { description } : {}), schema: rest }
}

/** Every shared header, published once; responses point at them. */
const SHARED_HEADERS: Record<string, TSchema> = { ...COMMON_RESPONSE_HEADERS, 'Retry-After': RetryAfter, ...RATE_LIMIT_HEADERS }

const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` })

const ERROR_CONTENT = JSON.stringify({ 'application/json': { schema: { $ref: '#/components/schemas/Error' } } })

/** components.responses names: Error400, Error401, … */
const errorResponseName = (status: string) => `Error${status}`

/** A shared error response: the Error body, the codes of that status from the catalog, the shared headers. */
function errorResponse (status: string): Json {
  const codes = Object.entries(ERROR_CATALOG).filter(([, entry]) => String(entry.status) === status).map(([code]) => `\`${code}\``)
  return {
    description: `${STATUS_CODES[Number(status)] ?? 'Error'}${codes.length > 0 ? ` (code ${codes.join(', ')})` : ''}`,
    headers: headersFor(status, {}),
    content: JSON.parse(ERROR_CONTENT)
  }
}

/** The shared headers, those of the status, then the route's own (a shared one by reference). */
function headersFor (status: string, own: Json): Json {
  const headers: Json = {}
  for (const name of Object.keys(COMMON_RESPONSE_HEADERS)) headers[name] = headerRef(name)
  for (const name of Object.keys(STATUS_HEADERS[status] ?? {})) headers[name] = headerRef(name)
  for (const [name, header] of Object.entries<Json>(own)) headers[name] = name in SHARED_HEADERS ? headerRef(name) : header
  return headers
}

/**
 * The last step of the document (@fastify/swagger's transformObject), for what route schemas
 * cannot say one route at a time: the headers every response carries and those some statuses
 * carry (Retry-After on 503, …), published once under components.headers and referenced from
 * every response, so clients can read them and the test helper can check them; and error
 * answers that are only the Error body, published once per status under components.responses.
 */
export function transformDocument (document: Json): Json {
  document.components ??= {}
  document.components.headers = Object.fromEntries(Object.entries(SHARED_HEADERS).map(([name, schema]) => [name, headerObject(schema)]))
  const shared: Json = {}
  for (const item of Object.values<Json>(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method]
      if (!operation) continue
      for (const [status, response] of Object.entries<Json>(operation.responses ?? {})) {
        if (Number(status) >= 400 && !response.headers && JSON.stringify(response.content) === ERROR_CONTENT) {
          shared[status] ??= errorResponse(status)
          operation.responses[status] = { $ref: `#/components/responses/${errorResponseName(status)}` }
          continue
        }
        response.headers = headersFor(status, response.headers ?? {})
      }
    }
  }
  document.components.responses = Object.fromEntries(Object.keys(shared).sort().map((status) => [errorResponseName(status), shared[status]]))
  return document
}
