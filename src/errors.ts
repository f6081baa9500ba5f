/**
 * The one error catalog. Every error a client can see has a stable code here, its HTTP status
 * and a default message; the error plugin turns anything thrown into this shape. Codes are part
 * of the public contract (they are an enum in openapi.yaml): add, never rename.
 */
export const ERROR_CATALOG = {
  VALIDATION_FAILED: { status: 400, message: 'The request does not match the schema' },
  INVALID_JSON: { status: 400, message: 'The body is not valid JSON' },
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  UNKNOWN_PROVIDER: { status: 400, message: 'Unknown integration key; GET /api/providers lists them' },
  UNKNOWN_ACTION: { status: 400, message: 'This integration has no such action' },
  INVALID_ACTION_PARAMS: { status: 400, message: 'The action\'s params are not valid' },
  ACTION_NOT_AVAILABLE: { status: 400, message: 'This action cannot be run through this service yet' },
  OAUTH_STATE_INVALID: { status: 400, message: 'The authorization state is invalid, expired or already used; start the connection again' },
  OAUTH_CODE_REJECTED: { status: 400, message: 'The provider did not accept the authorization code' },
  OAUTH_VERIFICATION_FAILED: { status: 400, message: 'The new credentials did not work at the provider; nothing was stored' },
  UNAUTHENTICATED: { status: 401, message: 'A valid bearer token or session cookie is required' },
  // Only given for a token whose signature verified: they tell an honest client what to fix.
  TOKEN_EXPIRED: { status: 401, message: 'The token has expired; get a new one' },
  TOKEN_NOT_YET_VALID: { status: 401, message: 'The token is not valid yet (nbf in the future); check the clocks' },
  TOKEN_ISSUER_INVALID: { status: 401, message: 'The token was issued by another issuer than this service accepts' },
  TOKEN_AUDIENCE_INVALID: { status: 401, message: 'The token is meant for another audience than this service' },
  TOKEN_KEY_UNKNOWN: { status: 401, message: 'No key of the identity provider matches the token (kid)' },
  WEBHOOK_SIGNATURE_INVALID: { status: 401, message: 'The webhook signature is missing or does not match' },
  FORBIDDEN: { status: 403, message: 'You do not have access to this project' },
  CSRF_FAILED: { status: 403, message: 'Cross-site request check failed' },
  ACTION_FORBIDDEN: { status: 403, message: 'Your role cannot run this action' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such route' },
  DEV_LOGIN_DISABLED: { status: 403, message: 'The development sign-in is off (DEV_LOGIN unset, or NODE_ENV=production)' },
  LINK_NOT_FOUND: { status: 404, message: 'This integration is not linked to the project' },
  ACTION_NOT_FOUND: { status: 404, message: 'No such action' },
  ROLLOUT_OVERRIDE_NOT_FOUND: { status: 404, message: 'No rollout override is set here' },
  IDEMPOTENCY_REQUEST_IN_FLIGHT: { status: 409, message: 'A request with this Idempotency-Key is still being accepted; retry shortly' },
  WEBHOOK_DELIVERY_IN_FLIGHT: { status: 409, message: 'This delivery is still being handled; deliver it again later if it was not' },
  ACTION_NOT_CLAIMED: { status: 409, message: 'This action is not held by this worker' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported Content-Type; send application/json' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: 'This Idempotency-Key was used with a different request' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large' },
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
