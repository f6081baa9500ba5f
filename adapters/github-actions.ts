import { ActionFailure } from '../src/actions/executor.js'
import type { ActionExecutor, ExecutionContext } from '../src/actions/executor.js'
import { disconnectExecutor, syncExecutor } from './shared-actions.js'

/**
 * GitHub's quick actions. Push and pull move workspace content, which lives in the host
 * workspace, not here: they wait in the host queue for its worker. Sync and disconnect are ours.
 */

export const GITHUB_DISCONNECT_NOTE = 'The link and its stored token were removed here. The token itself still works at GitHub: ' +
  'revoking an OAuth grant needs the OAuth app\'s client id and secret (DELETE /applications/{client_id}/grant), ' +
  'which this service is not configured with. Revoke it at GitHub under Settings › Applications ' +
  '(or Developer settings › Personal access tokens for a token you created yourself).'

function requireLink (ctx: ExecutionContext) {
  if (!ctx.link) throw new ActionFailure('not_linked', 'GitHub is not linked to this project')
  return ctx.link
}

export function createGithubExecutors (): ActionExecutor[] {
  return [
    // The host workspace does the git work; this service only queues them.
    { id: 'push', mode: 'host', retryable: false, needsLink: true },
    { id: 'pull', mode: 'host', retryable: false, needsLink: true },
    syncExecutor(requireLink),
    disconnectExecutor(GITHUB_DISCONNECT_NOTE)
  ]
}
