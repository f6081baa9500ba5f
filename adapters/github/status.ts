import type { Static } from '@sinclair/typebox'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { ActionDefinition, AdapterDefinition, CheckResult } from '../../src/provider-kit/manifest.js'
import { daysBetween, plural, timeAgo } from '../../src/provider-kit/format.js'
import type { GithubLinkConfig as GithubLinkConfigSchema } from './config.js'
import {
  isRecord, lackingScope, missingPermissions, missingScopes, parseScopes, throwOnFailedCalls
} from './failures.js'
import { createGithubExecutors, type GithubOAuthApp } from './actions.js'
import { GITHUB_HEADERS } from './api.js'

export type GithubConfig = Static<typeof GithubLinkConfigSchema>

export { GITHUB_ACCEPT, GITHUB_API_VERSION } from './api.js'
const STALE_AFTER_DAYS = 7

const unexpected = (what: string) => new ProviderFailure('unknown', `unexpected GitHub ${what} body`)

function readPrivate (body: unknown) {
  if (!isRecord(body) || typeof body.private !== 'boolean') throw unexpected('repository')
  return body.private
}

function readHeadCommitAt (body: unknown) {
  const commit = isRecord(body) && isRecord(body.commit) && isRecord(body.commit.commit) ? body.commit.commit : undefined
  const dateOf = (who: unknown) => isRecord(who) && typeof who.date === 'string' ? who.date : undefined
  const date = dateOf(commit?.committer) ?? dateOf(commit?.author)
  const at = date === undefined ? NaN : Date.parse(date)
  if (Number.isNaN(at)) throw unexpected('branch')
  return at
}

/** Branch names hold slashes: each segment is encoded, the separators are kept. */
const encodeBranch = (branch: string) => branch.split('/').map(encodeURIComponent).join('/')

/** The action catalog, in display order; connect and reconnect are core's. */
export const GITHUB_ACTIONS: readonly ActionDefinition[] = [
  { id: 'push', label: 'Push', capability: 'push' },
  { id: 'pull', label: 'Pull', capability: 'push' },
  { id: 'sync', label: 'Sync', capability: 'push' },
  { id: 'disconnect', label: 'Disconnect', capability: 'connect' }
]

export function createGithubAdapter ({ apiUrl, oauthApp }: { apiUrl: string, oauthApp?: GithubOAuthApp | undefined }): AdapterDefinition<GithubConfig> {
  return {
    key: 'github',
    label: 'GitHub',
    actions: GITHUB_ACTIONS,
    executors: createGithubExecutors({ apiUrl, oauthApp }),

    async check (ctx): Promise<CheckResult> {
      const { owner, repo, branch } = ctx.config
      const headers = { authorization: `Bearer ${ctx.credentials.token}`, ...GITHUB_HEADERS }
      const get = (path: string) => ctx.http.getJson(`${apiUrl}${path}`, { headers, signal: ctx.signal })
      const repoPath = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`
      const [user, repository, head] = await Promise.all([
        get('/user'), get(repoPath), get(`${repoPath}/branches/${encodeBranch(branch)}`)
      ])
      throwOnFailedCalls([user, repository, head], ctx.now)

      const forbidden = [user, repository, head].find((r) => r.status === 403)
      if (forbidden) return missingPermissions(forbidden)
      if (user.status !== 200 || !isRecord(user.body)) throw unexpected('user')

      const scopes = parseScopes(user.headers['x-oauth-scopes'])
      if (repository.status === 404) {
        // GitHub hides private repositories from tokens without `repo` behind a 404.
        if (scopes && !scopes.includes('repo')) return missingScopes(['repo'])
        return { status: 'error', summary: 'Repository not found', problem: { code: 'not_found', hint: 'Check the owner and repository name of the link, or reconnect GitHub with access to it' } }
      }
      const isPrivate = readPrivate(repository.body)
      const lacking = scopes && lackingScope(scopes, isPrivate)
      if (lacking) return missingScopes([lacking])

      if (head.status === 404) {
        return { status: 'error', summary: `Branch ${branch} not found`, viewer: { summary: 'Branch not found' } }
      }
      const headAt = readHeadCommitAt(head.body)
      const days = daysBetween(headAt, ctx.now)
      const stale = days >= STALE_AFTER_DAYS
      const activity = stale ? `No push in ${plural(days, 'day')}` : `Last push ${timeAgo(headAt, ctx.now)}`
      return {
        status: stale ? 'warning' : 'connected',
        summary: `Linked to ${branch} · ${activity}`,
        ...(isPrivate ? { viewer: { summary: `Private repo · ${activity}` } } : {})
      }
    }
  }
}
