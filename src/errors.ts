/**
 * The one error catalog. Every error a client can see has a stable code here, its HTTP status
 * and a default message; the error plugin turns anything thrown into this shape. Codes are part
 * of the public contract (they are an enum in openapi.yaml): add, never rename.
 */
export const ERROR_CATALOG = {
  VALIDATION_FAILED: { status: 400, message: 'The request does not match the schema' },
  INVALID_JSON: { status: 400, message: 'The body is not valid JSON' },
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  UNKNOWN_PROVIDER: { status: 400, message: 'Unknown integration key; expected one of github, vercel, sanity, supabase' },
  UNAUTHENTICATED: { status: 401, message: 'A valid bearer token or session cookie is required' },
  FORBIDDEN: { status: 403, message: 'You do not have access to this project' },
  CSRF_FAILED: { status: 403, message: 'Cross-site request check failed' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such route' },
  LINK_NOT_FOUND: { status: 404, message: 'This integration is not linked to the project' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported Content-Type; send application/json' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  INTERNAL_ERROR: { status: 500, message: 'Internal server error' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'A dependency is unavailable; try again later' }
} as const satisfies Record<string, { status: number, message: string }>

export type ErrorCode = keyof typeof ERROR_CATALOG
export const ERROR_CODES = Object.keys(ERROR_CATALOG) as ErrorCode[]

export interface ErrorDetail {
  /** JSON pointer into the request part named by `in`, e.g. /config/owner. */
  path: string
  in?: 'body' | 'params' | 'querystring' | 'headers'
  message: string
}

export class AppError extends Error {
  override name = 'AppError'
  readonly statusCode: number
  readonly code: ErrorCode
  readonly details: ErrorDetail[] | undefined
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Record<string, string> | undefined

  constructor (code: ErrorCode, message?: string, extra: { details?: ErrorDetail[], headers?: Record<string, string>, cause?: unknown } = {}) {
    super(message ?? ERROR_CATALOG[code].message, { cause: extra.cause })
    this.code = code
    this.statusCode = ERROR_CATALOG[code].status
    this.details = extra.details
    this.headers = extra.headers
  }
}
