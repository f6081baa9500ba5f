import type { ProviderHttp } from './http.js'
import type { OAuthClient } from './manifest.js'

/**
 * The provider refused an OAuth step. `code_rejected`: the code did not become a token (400
 * OAUTH_CODE_REJECTED); `verification_failed`: the new token did not work (OAUTH_VERIFICATION_FAILED).
 */
export class OAuthFailure extends Error {
  override name = 'OAuthFailure'
  readonly code: 'code_rejected' | 'verification_failed'
  constructor (code: OAuthFailure['code'], message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.code = code
  }
}

/** `Authorization: Basic` with the app's id and secret (token endpoints and grant revocation). */
export const basicAuth = ({ clientId, clientSecret }: OAuthClient) => `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`

/**
 * POSTs a form to a token endpoint and reads the standard answer (RFC 6749 §5): `access_token`,
 * optional `scope`. A refusal (4xx, or 200 with `error`, as some providers answer) is an OAuthFailure.
 */
export async function exchangeCode (http: ProviderHttp, label: string, { url, form, headers = {}, signal }: { url: string, form: URLSearchParams, headers?: Record<string, string>, signal: AbortSignal }) {
  let response
  try {
    response = await http.requestJson('POST', url, { headers, form, signal })
  } catch (cause) {
    throw new OAuthFailure('code_rejected', `${label}'s token endpoint could not be reached`, { cause })
  }
  const body = (response.body ?? {}) as Record<string, unknown>
  if (response.status >= 400 || typeof body.error === 'string' || typeof body.access_token !== 'string') {
    throw new OAuthFailure('code_rejected', `${label} refused the code${typeof body.error === 'string' ? ` (${body.error})` : ''}`)
  }
  const scopes = typeof body.scope === 'string' ? body.scope.split(/[,\s]+/).filter(Boolean) : undefined
  return { token: body.access_token, ...(scopes ? { scopes } : {}) }
}

/** A verify step's answer: OAuthFailure unless 200; scopes from a comma-separated header when present. */
export function verifiedBy (label: string, response: { status: number, headers: Record<string, string> }, scopesHeader?: string) {
  if (response.status !== 200) throw new OAuthFailure('verification_failed', `${label} answered ${response.status} to the new token`)
  const header = scopesHeader === undefined ? undefined : response.headers[scopesHeader]
  return header === undefined ? {} : { scopes: header.split(',').map((s) => s.trim()).filter(Boolean) }
}
