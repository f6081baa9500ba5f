import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { ERROR_CODES } from '../errors.js'

/**
 * A reference to a shared schema by its $id, typed as the schema itself. Routes use it so the
 * OpenAPI document names the component (generated clients get readable type names).
 */
export const ref = <T extends TSchema>(schema: T) => Type.Unsafe<Static<T>>(Type.Ref(schema.$id!))

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO-8601, UTC' })

export const ProjectId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$',
  maxLength: 128,
  description: 'Project identifier, as the host workspace names it',
  examples: ['p_demo']
})

/** Every project role, most powerful first. */
export const ROLES = ['owner', 'admin', 'editor', 'viewer'] as const
export const Role = Type.Union(ROLES.map((role) => Type.Literal(role)), { $id: 'Role' })
export type Role = Static<typeof Role>

export const ErrorBody = Type.Object({
  statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
  code: Type.Unsafe<(typeof ERROR_CODES)[number]>({ type: 'string', enum: ERROR_CODES, description: 'Stable machine-readable code' }),
  error: Type.String({ description: 'HTTP reason phrase' }),
  message: Type.String({ description: 'Human-readable explanation; masked for 5xx' }),
  requestId: Type.String({ description: 'Matches the x-request-id response header and the server logs' }),
  details: Type.Optional(Type.Array(Type.Object({
    path: Type.String(),
    in: Type.Optional(Type.Union([Type.Literal('body'), Type.Literal('params'), Type.Literal('querystring'), Type.Literal('headers')])),
    message: Type.String()
  })))
}, { $id: 'Error', description: 'Every 4xx and 5xx response has this body' })

/** The error responses a route can give, each the shared Error schema; any route may answer 500. */
export function errorResponses (...statuses: number[]) {
  return Object.fromEntries([...statuses, 500].map((status) => [status, ref(ErrorBody)]))
}

/** OpenAPI security requirement of a public operation (probes, signed webhooks): none. */
export const PUBLIC: Array<Record<string, string[]>> = []

/**
 * For free text the server takes: anything but U+0000, which validation refuses in every string
 * (src/lib/validation.ts), so the schema says what the server does.
 */
export const NO_NUL = '^[^\\u0000]*$'

/** OpenAPI security requirement: a bearer token or the browser session cookie. */
export const BEARER_OR_COOKIE: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { cookieAuth: [] }]
