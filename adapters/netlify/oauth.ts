import type { ReadOnlyProviderHttp } from '../../src/provider-kit/http.js'
import { ProviderFailure, isProviderFailure } from '../../src/provider-kit/failure.js'
import type { CheckContext, OAuthClient, OAuthSteps } from '../../src/provider-kit/manifest.js'
import { OAuthFailure, exchangeCode } from '../../src/provider-kit/oauth.js'
import { sitePath } from './deploys.js'
import { NETLIFY_LABEL, type NetlifyConfig } from './config.js'

/**
 * Netlify's OAuth2 authorization-code flow and the credential check.
 *
 * Authorize: `https://app.netlify.com/authorize?client_id=&response_type=code&redirect_uri=&state=`
 * (N-OAS securityDefinitions names app.netlify.com/authorize; the code flow and its parameters
 * are those of Netlify's example app netlify-labs/oauth-example, functions/utils/auth.js).
 * Token: `POST https://api.netlify.com/oauth/token`, form-encoded, client id and secret in the
 * body (same source). Netlify documents no answer format: an RFC 6749 §5 answer is assumed and
 * only `access_token` is read. Tokens carry no scopes, so there is nothing to validate there:
 * the check is that the token can read the linked site.
 */

export interface NetlifyOAuthClient { clientId: string, clientSecret: string, webUrl: string }

export function netlifyAuthorizeUrl (client: NetlifyOAuthClient, redirectUri: string, state: string) {
  const query = new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: redirectUri, state })
  return `${client.webUrl}/authorize?${query}`
}

/** The token endpoint shares the API's host: `…/api/v1` → `…/oauth/token`. */
export function netlifyTokenUrl (apiUrl: string) {
  const base = apiUrl.replace(/\/+$/, '')
  return `${base.endsWith('/api/v1') ? base.slice(0, -'/api/v1'.length) : new URL(base).origin}/oauth/token`
}

type Outcome<T> = ({ ok: true } & T) | { ok: false, reason: string }

export type CredentialVerdict = Outcome<Record<never, never>> & { revoked?: boolean }

/**
 * Whether a token (pasted or from OAuth) can read the linked site: `GET /sites/{site_id}`.
 * 401 → the token is refused; 404 → Netlify has no such site for this token.
 */
export async function verifyNetlifyCredentials (http: ReadOnlyProviderHttp, apiUrl: string, config: { siteId: string }, credentials: { token: string }, signal: AbortSignal): Promise<CredentialVerdict> {
  let res
  try {
    res = await http.getJson(`${apiUrl}${sitePath(config.siteId)}`, { headers: { authorization: `Bearer ${credentials.token}` }, signal })
  } catch (error) {
    if (isProviderFailure(error)) return { ok: false, reason: `Netlify could not be checked (${error.code})` }
    throw error
  }
  if (res.status === 200) return { ok: true }
  if (res.status === 401) return { ok: false, revoked: true, reason: 'Netlify rejected the token' }
  if (res.status === 404) return { ok: false, reason: 'Netlify shows this token no such site: check the site id, or use a token of an account that can see the site' }
  return { ok: false, reason: `Netlify answered ${res.status}` }
}

/**
 * The manifest's `verifyCredentials` for a pasted token: a refusal becomes the ProviderFailure
 * core maps onto `verification_failed` (401 → `oauth_revoked`, "rejected the token"; anything
 * else → `unknown`, "could not be checked"); the reason goes to the log only.
 */
export async function verifyNetlifyToken (apiUrl: string, ctx: CheckContext<NetlifyConfig>) {
  const verdict = await verifyNetlifyCredentials(ctx.http, apiUrl, ctx.config, ctx.credentials, ctx.signal)
  if (!verdict.ok) throw new ProviderFailure(verdict.revoked === true ? 'oauth_revoked' : 'unknown', verdict.reason)
  return verdict
}

/**
 * The manifest's OAuth steps; core owns the state, the callback route and storing the token.
 * Refusals become OAuthFailure (400 OAUTH_CODE_REJECTED / OAUTH_VERIFICATION_FAILED).
 */
export function netlifyOAuth ({ webUrl, apiUrl, client }: { webUrl: string, apiUrl: string, client: OAuthClient }): OAuthSteps<NetlifyConfig> {
  return {
    client,
    // Netlify tokens carry no scopes: the proof is that the token can read the linked site.
    requiredScopes: [],
    authorizeUrl: ({ client, redirectUri, state }) => netlifyAuthorizeUrl({ ...client, webUrl }, redirectUri, state),
    // Netlify documents no answer format: an RFC 6749 §5 answer is assumed; it grants no scopes.
    exchange: ({ http, client, code, redirectUri, signal }) => exchangeCode(http, NETLIFY_LABEL, {
      url: netlifyTokenUrl(apiUrl),
      form: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: client.clientId, client_secret: client.clientSecret }),
      signal
    }),
    async verify ({ http, token, config, signal }) {
      const verdict = await verifyNetlifyCredentials(http, apiUrl, config, { token }, signal)
      if (!verdict.ok) throw new OAuthFailure('verification_failed', verdict.reason)
      return {}
    }
  }
}
