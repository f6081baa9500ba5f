import type { AppConfig } from '../../plugins/config.js'
import type { ProviderHttp } from '../aggregator/provider-http.js'
import { AppError } from '../errors.js'
import { GITHUB_HEADERS } from '../../adapters/github-api.js'

export type OAuthProvider = 'github' | 'vercel' | 'supabase'
export const OAUTH_PROVIDERS: readonly OAuthProvider[] = ['github', 'vercel', 'supabase']
export const isOAuthProvider = (value: string): value is OAuthProvider => (OAUTH_PROVIDERS as readonly string[]).includes(value)

/** The scopes the GitHub adapter needs (private repositories need `repo`). */
export const GITHUB_REQUIRED_SCOPES = ['repo']

type Client = NonNullable<AppConfig['oauth'][OAuthProvider]>

export interface Exchanged {
  token: string
  /** Granted scopes, for providers that have them (GitHub). */
  scopes?: string[]
}

/**
 * The three providers' authorization-code flows, as each documents it: where the consent screen
 * is, how the code becomes a token, and a live call proving the token works before it is stored.
 */
export function createOAuthProviders (config: AppConfig) {
  const redirectUri = (provider: OAuthProvider) => `${config.publicUrl}/api/integrations/oauth/${provider}/callback`
  const { providers } = config

  function client (provider: OAuthProvider): Client {
    const found = config.oauth[provider]
    if (!found) throw new AppError('ACTION_NOT_AVAILABLE', `${provider} OAuth is not configured on this service (client id and secret)`)
    return found
  }

  function authorizeUrl (provider: OAuthProvider, state: string) {
    const { clientId, webUrl } = client(provider)
    const query = new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri(provider), state })
    if (provider === 'github') {
      query.set('scope', GITHUB_REQUIRED_SCOPES.join(' '))
      return `${webUrl}/login/oauth/authorize?${query}`
    }
    query.set('response_type', 'code')
    return provider === 'vercel' ? `${webUrl}/oauth/authorize?${query}` : `${webUrl}/v1/oauth/authorize?${query}`
  }

  /** Trades the code for a token at the provider's token endpoint; a refusal is 400, never stored. */
  async function exchange (http: ProviderHttp, provider: OAuthProvider, code: string, signal: AbortSignal): Promise<Exchanged> {
    const { clientId, clientSecret, webUrl } = client(provider)
    const form = new URLSearchParams({ code, redirect_uri: redirectUri(provider) })
    let url: string
    const headers: Record<string, string> = {}
    if (provider === 'supabase') {
      url = `${providers.supabaseApiUrl}/v1/oauth/token`
      form.set('grant_type', 'authorization_code')
      headers.authorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`
    } else {
      url = provider === 'github' ? `${webUrl}/login/oauth/access_token` : `${providers.vercelApiUrl}/v2/oauth/access_token`
      form.set('client_id', clientId)
      form.set('client_secret', clientSecret)
    }
    let response
    try {
      response = await http.requestJson('POST', url, { headers, form, signal })
    } catch (cause) {
      throw new AppError('OAUTH_CODE_REJECTED', `${provider}'s token endpoint could not be reached`, { cause })
    }
    const body = (response.body ?? {}) as Record<string, unknown>
    // GitHub answers refusals with 200 and an `error` field; the others with 4xx.
    if (response.status >= 400 || typeof body.error === 'string' || typeof body.access_token !== 'string') {
      throw new AppError('OAUTH_CODE_REJECTED', `${provider} refused the code${typeof body.error === 'string' ? ` (${body.error})` : ''}`)
    }
    const scopes = typeof body.scope === 'string' ? body.scope.split(/[,\s]+/).filter(Boolean) : undefined
    return { token: body.access_token, ...(scopes ? { scopes } : {}) }
  }

  /** One authenticated call with the new token; the granted scopes as GitHub reports them. */
  async function verify (http: ProviderHttp, provider: OAuthProvider, token: string, linkConfig: Record<string, unknown>, signal: AbortSignal) {
    const auth = { authorization: `Bearer ${token}` }
    let response
    if (provider === 'github') {
      response = await http.getJson(`${providers.githubApiUrl}/user`, { headers: { ...auth, ...GITHUB_HEADERS }, signal })
    } else if (provider === 'vercel') {
      response = await http.getJson(`${providers.vercelApiUrl}/v2/user`, { headers: auth, signal })
    } else {
      response = await http.getJson(`${providers.supabaseApiUrl}/v1/projects/${encodeURIComponent(String(linkConfig.projectRef))}`, { headers: auth, signal })
    }
    if (response.status !== 200) throw new AppError('OAUTH_VERIFICATION_FAILED', `${provider} answered ${response.status} to the new token`)
    const header = response.headers['x-oauth-scopes']
    return { scopes: header === undefined ? undefined : header.split(',').map((s) => s.trim()).filter(Boolean) }
  }

  return { authorizeUrl, exchange, verify, configured: (provider: OAuthProvider) => config.oauth[provider] !== undefined }
}

export type OAuthProviders = ReturnType<typeof createOAuthProviders>
