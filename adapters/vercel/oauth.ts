import type { OAuthClient, OAuthSteps } from '../../src/provider-kit/manifest.js'
import { exchangeCode, verifiedBy } from '../../src/provider-kit/oauth.js'
import type { VercelConfig } from './status.js'

/** Vercel's integration OAuth: consent on the web host, token from the API, proof with GET /v2/user. */
export function vercelOAuth ({ webUrl, apiUrl, client }: { webUrl: string, apiUrl: string, client: OAuthClient | undefined }): OAuthSteps<VercelConfig> {
  return {
    client,
    authorizeUrl ({ client, redirectUri, state }) {
      const query = new URLSearchParams({ client_id: client.clientId, redirect_uri: redirectUri, state, response_type: 'code' })
      return `${webUrl}/oauth/authorize?${query}`
    },
    exchange: ({ http, client, code, redirectUri, signal }) => exchangeCode(http, 'vercel', {
      url: `${apiUrl}/v2/oauth/access_token`,
      form: new URLSearchParams({ code, redirect_uri: redirectUri, client_id: client.clientId, client_secret: client.clientSecret }),
      signal
    }),
    async verify ({ http, token, signal }) {
      return verifiedBy('vercel', await http.getJson(`${apiUrl}/v2/user`, { headers: { authorization: `Bearer ${token}` }, signal }))
    }
  }
}
