import type { OAuthClient, OAuthSteps } from '../../src/provider-kit/manifest.js'
import { exchangeCode, verifiedBy } from '../../src/provider-kit/oauth.js'
import type { GithubConfig } from './status.js'
import { GITHUB_HEADERS } from './api.js'

/** The scopes the status check needs (private repositories need `repo`). */
export const GITHUB_REQUIRED_SCOPES = ['repo']

/** GitHub's OAuth app flow: consent and token exchange on the web host, proof with GET /user. */
export function githubOAuth ({ webUrl, apiUrl, client }: { webUrl: string, apiUrl: string, client: OAuthClient | undefined }): OAuthSteps<GithubConfig> {
  return {
    client,
    requiredScopes: GITHUB_REQUIRED_SCOPES,
    authorizeUrl ({ client, redirectUri, state }) {
      const query = new URLSearchParams({ client_id: client.clientId, redirect_uri: redirectUri, state, scope: GITHUB_REQUIRED_SCOPES.join(' ') })
      return `${webUrl}/login/oauth/authorize?${query}`
    },
    exchange: ({ http, client, code, redirectUri, signal }) => exchangeCode(http, 'github', {
      url: `${webUrl}/login/oauth/access_token`,
      form: new URLSearchParams({ code, redirect_uri: redirectUri, client_id: client.clientId, client_secret: client.clientSecret }),
      signal
    }),
    async verify ({ http, token, signal }) {
      const response = await http.getJson(`${apiUrl}/user`, { headers: { authorization: `Bearer ${token}`, ...GITHUB_HEADERS }, signal })
      return verifiedBy('github', response, 'x-oauth-scopes')
    }
  }
}
