import type { OAuthClient, OAuthSteps } from '../../src/provider-kit/manifest.js'
import { basicAuth, exchangeCode, verifiedBy } from '../../src/provider-kit/oauth.js'
import type { SupabaseLinkConfig } from './status.js'

/** Supabase's OAuth apps: consent and token on the Management API (Basic client auth), proof with the linked project. */
export function supabaseOAuth ({ apiUrl, client }: { apiUrl: string, client: OAuthClient | undefined }): OAuthSteps<SupabaseLinkConfig> {
  return {
    client,
    authorizeUrl ({ client, redirectUri, state }) {
      const query = new URLSearchParams({ client_id: client.clientId, redirect_uri: redirectUri, state, response_type: 'code' })
      return `${apiUrl}/v1/oauth/authorize?${query}`
    },
    exchange: ({ http, client, code, redirectUri, signal }) => exchangeCode(http, 'supabase', {
      url: `${apiUrl}/v1/oauth/token`,
      form: new URLSearchParams({ code, redirect_uri: redirectUri, grant_type: 'authorization_code' }),
      headers: { authorization: basicAuth(client) },
      signal
    }),
    async verify ({ http, token, config, signal }) {
      const response = await http.getJson(`${apiUrl}/v1/projects/${encodeURIComponent(String(config.projectRef))}`, { headers: { authorization: `Bearer ${token}` }, signal })
      return verifiedBy('supabase', response)
    }
  }
}
