import { ActionFailure } from '../../src/provider-kit/executor.js'
import type { ActionExecutor, ExecutionContext } from '../../src/provider-kit/executor.js'
import { disconnectExecutor, syncExecutor } from '../../src/provider-kit/shared-actions.js'
import { GITHUB_HEADERS } from './api.js'

/**
 * GitHub's quick actions. Push and pull move workspace content, which lives in the host
 * workspace, not here: they wait in the host queue for its worker. Sync and disconnect are ours.
 */

export const GITHUB_DISCONNECT_NOTE = 'The link and its stored token were removed here. The token itself still works at GitHub: ' +
  'it was not issued through this service\'s GitHub OAuth app (or none is configured), so only its owner can revoke it, ' +
  'at GitHub under Settings › Applications (or Developer settings › Personal access tokens for a token created by hand).'
export const GITHUB_REVOKED_NOTE = 'The link and its stored token were removed here, and the OAuth grant was revoked at GitHub.'

export interface GithubOAuthApp { clientId: string, clientSecret: string }

/**
 * Revokes the token's OAuth grant (DELETE /applications/{client_id}/grant, Basic auth with the
 * app's id and secret). true when GitHub revoked it; false when the token is not the app's (422,
 * e.g. a personal access token) or GitHub could not be asked. Never throws: the unlink goes on.
 */
async function revokeGrant (ctx: ExecutionContext, apiUrl: string, app: GithubOAuthApp, token: string) {
  try {
    const response = await ctx.http.requestJson('DELETE', `${apiUrl}/applications/${encodeURIComponent(app.clientId)}/grant`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`,
        ...GITHUB_HEADERS
      },
      body: { access_token: token },
      signal: ctx.signal
    })
    return response.status === 204
  } catch {
    return false
  }
}

function requireLink (ctx: ExecutionContext) {
  if (!ctx.link) throw new ActionFailure('not_linked', 'GitHub is not linked to this project')
  return ctx.link
}

export function createGithubExecutors ({ apiUrl, oauthApp }: { apiUrl?: string, oauthApp?: GithubOAuthApp | undefined } = {}): ActionExecutor[] {
  const disconnect = disconnectExecutor(GITHUB_DISCONNECT_NOTE)
  return [
    // The host workspace does the git work; this service only queues them.
    { id: 'push', mode: 'host', retryable: false, needsLink: true },
    { id: 'pull', mode: 'host', retryable: false, needsLink: true },
    syncExecutor(requireLink),
    {
      ...disconnect,
      // With our OAuth app configured, a token it issued is revoked at GitHub before the unlink.
      async run (ctx) {
        const revoked = Boolean(oauthApp && apiUrl && ctx.link && await revokeGrant(ctx, apiUrl, oauthApp, ctx.link.credentials.token))
        await ctx.unlink()
        return { unlinked: true, revokedAtProvider: revoked, note: revoked ? GITHUB_REVOKED_NOTE : GITHUB_DISCONNECT_NOTE }
      }
    }
  ]
}
