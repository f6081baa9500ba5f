import { ActionFailure } from '../../src/provider-kit/executor.js'
import type { ActionExecutor, ExecutionContext } from '../../src/provider-kit/executor.js'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { ProviderResponse } from '../../src/provider-kit/http.js'
import { isRecord, rateLimitRetryAfter } from './failures.js'
import { disconnectExecutor } from '../../src/provider-kit/shared-actions.js'

/**
 * Vercel's quick actions.
 *
 * deploy: redeploys the latest deployment of the target the way `vercel redeploy` does
 * (vercel/vercel packages/cli/src/commands/redeploy): `POST /v13/deployments?forceNew=1` with
 * `{ name, deploymentId, meta: { action: 'redeploy' }, target }`, `target` omitted for preview.
 * The create endpoint's public reference documents `deploymentId` ("a deployment id can be
 * specified to redeploy a previous deployment") and the `forceNew` query.
 */

/** Same list endpoint as the status check (adapters/vercel.ts). */
export const VERCEL_LIST_PATH = '/v6/deployments'
export const VERCEL_CREATE_PATH = '/v13/deployments'
/** How far back a preview is looked for: previews have no target to filter on. */
export const PREVIEW_SCAN_LIMIT = 100

/** VercelLinkConfig's pattern for project ids, names and team ids. */
const VERCEL_ID = /^[A-Za-z0-9_-]{1,128}$/

export const VERCEL_DISCONNECT_NOTE = 'The link and its stored token were removed here. The token itself still works at Vercel: ' +
  'Vercel deletes a token by its id (DELETE /v3/user/tokens/{tokenId}), and the token may be a personal one ' +
  'used elsewhere, so this service leaves it alone. Delete it under Vercel › Account Settings › Tokens if it was made for this project.'

type Target = 'production' | 'preview'
interface Link { projectId: string, teamId?: string | undefined, token: string }
interface Source { uid: string, name: string, createdAt: number }

function unknownKeys (params: Record<string, unknown>, allowed: string[]) {
  const extra = Object.keys(params).filter((key) => !allowed.includes(key))
  if (extra.length === 0) return undefined
  return `Unknown parameter${extra.length === 1 ? '' : 's'}: ${extra.join(', ')}` +
    (allowed.length === 0 ? ' (this action takes none)' : ` (allowed: ${allowed.join(', ')})`)
}

function requireLink (ctx: ExecutionContext): Link {
  if (!ctx.link) throw new ActionFailure('not_linked', 'Vercel is not linked to this project')
  const { projectId, teamId } = ctx.link.config
  if (typeof projectId !== 'string') throw new ActionFailure('not_linked', 'The Vercel link has no project')
  return { projectId, teamId: typeof teamId === 'string' ? teamId : undefined, token: ctx.link.credentials.token }
}

const errorOf = (res: ProviderResponse) => isRecord(res.body) && isRecord(res.body.error) ? res.body.error : {}

/** The failures every call shares: bad token, no access, rate limit, anything unexpected. */
function failureFor (res: ProviderResponse, ctx: ExecutionContext, link: Link): ActionFailure {
  const error = errorOf(res)
  if (res.status === 403 && (error.invalidToken === true || error.missingToken === true)) {
    return new ActionFailure('revoked', 'Vercel rejected the token (it was revoked or expired): reconnect Vercel')
  }
  if (res.status === 403) {
    return new ActionFailure('no_access', `The Vercel token cannot reach ${link.teamId ? 'this team\'s' : 'this'} project: reconnect Vercel with a token that can`)
  }
  if (res.status === 429) {
    return new ActionFailure('rate_limited', `Vercel is rate limiting this token: try again in ${rateLimitRetryAfter(res, ctx.now)}s`)
  }
  const code = typeof error.code === 'string' ? ` (${error.code})` : ''
  return new ActionFailure('provider_error', `Vercel answered ${res.status}${code}`)
}

/**
 * Wire trouble (ProviderFailure from provider-http) becomes the action's failure, unless the
 * action's own signal ended the call: then the service's abort goes back to it unchanged.
 */
async function call (ctx: ExecutionContext, work: () => Promise<ProviderResponse>, timeoutMessage = 'Vercel did not answer in time') {
  try {
    return await work()
  } catch (error) {
    if (ctx.signal.aborted || !(error instanceof ProviderFailure)) throw error
    if (error.code === 'timeout') throw new ActionFailure('timeout', timeoutMessage, { cause: error })
    throw new ActionFailure('provider_error', 'Vercel could not be reached or sent an unreadable answer', { cause: error })
  }
}

function readSource (item: unknown): Source | undefined {
  if (!isRecord(item)) return undefined
  const createdAt = item.createdAt ?? item.created
  if (typeof item.uid !== 'string' || typeof item.name !== 'string' || typeof createdAt !== 'number') return undefined
  return { uid: item.uid, name: item.name, createdAt }
}

function readTarget (params: Record<string, unknown>): Target | undefined {
  const target = params.target === undefined ? 'preview' : params.target
  return target === 'production' || target === 'preview' ? target : undefined
}

export function createVercelExecutors ({ apiUrl }: { apiUrl: string }): ActionExecutor[] {
  const url = (path: string, query: Record<string, string>, link: { teamId?: string | undefined }) => {
    const u = new URL(`${apiUrl}${path}`)
    u.search = new URLSearchParams({ ...query, ...(link.teamId ? { teamId: link.teamId } : {}) }).toString()
    return u
  }
  const auth = (link: Link) => ({ authorization: `Bearer ${link.token}` })

  /** The deployment to rebuild: the newest of the target, previews being those with no target. */
  async function latest (ctx: ExecutionContext, link: Link, target: Target): Promise<Source> {
    const query: Record<string, string> = target === 'production'
      ? { projectId: link.projectId, target: 'production', limit: '1' }
      : { projectId: link.projectId, limit: String(PREVIEW_SCAN_LIMIT) }
    const res = await call(ctx, () => ctx.http.getJson(url(VERCEL_LIST_PATH, query, link), { headers: auth(link), signal: ctx.signal }))
    if (res.status === 404) {
      throw new ActionFailure('nothing_to_deploy', 'Vercel does not know the linked project any more: link the project again')
    }
    if (res.status !== 200) throw failureFor(res, ctx, link)
    const items = isRecord(res.body) && Array.isArray(res.body.deployments) ? res.body.deployments : undefined
    if (!items) throw new ActionFailure('provider_error', 'Vercel answered the deployment list in an unexpected shape')
    const matching = items.filter((item) => isRecord(item) &&
      (target === 'production' ? item.target === 'production' : item.target == null))
    const newest = matching.map(readSource).filter((s): s is Source => s !== undefined)
      .sort((a, b) => b.createdAt - a.createdAt)[0]
    if (!newest) {
      throw new ActionFailure('nothing_to_deploy', target === 'production'
        ? 'There is no production deployment to redeploy yet: deploy the project to production once from Git or the Vercel CLI'
        : `There is no preview deployment among the project's ${PREVIEW_SCAN_LIMIT} most recent to redeploy: push a branch to create one`)
    }
    return newest
  }

  const deploy: ActionExecutor = {
    id: 'deploy',
    mode: 'inline',
    // A second run would deploy a second time.
    retryable: false,
    needsLink: true,
    check (params, role) {
      const extra = unknownKeys(params, ['target'])
      if (extra) return extra
      const target = readTarget(params)
      if (!target) return 'target must be "production" or "preview"'
      if (role === 'editor' && target === 'production') return { forbidden: 'Editors can deploy to preview only' }
      return undefined
    },
    async run (ctx) {
      const link = requireLink(ctx)
      const target = readTarget(ctx.action.params)
      if (!target) throw new ActionFailure('invalid_params', 'target must be "production" or "preview"')
      const from = await latest(ctx, link, target)

      await ctx.progress({ stage: 'redeploying', from: from.uid })
      const body = {
        name: from.name,
        deploymentId: from.uid,
        meta: { action: 'redeploy' },
        ...(target === 'production' ? { target: 'production' } : {})
      }
      const res = await call(ctx,
        () => ctx.http.requestJson('POST', url(VERCEL_CREATE_PATH, { forceNew: '1' }, link), { headers: auth(link), body, signal: ctx.signal }),
        'Vercel did not answer the redeploy in time; it may still have started: check the project\'s deployments before deploying again')
      if (res.status === 404) {
        throw new ActionFailure('nothing_to_deploy', `The deployment to redeploy (${from.uid}) no longer exists at Vercel`)
      }
      if (res.status < 200 || res.status >= 300) throw failureFor(res, ctx, link)

      const created = isRecord(res.body) ? res.body : {}
      const deploymentId = created.id ?? created.uid
      const readyState = created.readyState ?? created.status
      if (typeof deploymentId !== 'string' || typeof created.url !== 'string' || typeof readyState !== 'string') {
        throw new ActionFailure('provider_error', 'Vercel accepted the redeploy but its answer could not be read: check the project\'s deployments')
      }
      return { deploymentId, url: `https://${created.url}`, target, readyState }
    }
  }

  const linkProject: ActionExecutor = {
    id: 'link',
    mode: 'inline',
    retryable: true,
    needsLink: true,
    check (params) {
      const extra = unknownKeys(params, ['projectId', 'teamId'])
      if (extra) return extra
      if (typeof params.projectId !== 'string' || !VERCEL_ID.test(params.projectId)) {
        return 'projectId must be a Vercel project id (prj_…) or name: 1–128 letters, digits, - or _'
      }
      if (params.teamId !== undefined && (typeof params.teamId !== 'string' || !VERCEL_ID.test(params.teamId))) {
        return 'teamId must be a Vercel team id (team_…): 1–128 letters, digits, - or _'
      }
      return undefined
    },
    async run (ctx) {
      const current = requireLink(ctx)
      const { projectId, teamId } = ctx.action.params as { projectId: string, teamId?: string }
      // The current token, in the scope being linked to.
      const target = { ...current, projectId, teamId }
      const res = await call(ctx, () => ctx.http.getJson(url(`/v9/projects/${encodeURIComponent(projectId)}`, {}, target), {
        headers: auth(target), signal: ctx.signal
      }))
      if (res.status === 404) {
        throw new ActionFailure('not_found', `The linked Vercel token sees no project "${projectId}"${teamId ? ` in team ${teamId}` : ' (for a team project, give its teamId)'}`)
      }
      if (res.status !== 200) throw failureFor(res, ctx, target)
      const project = isRecord(res.body) ? res.body : {}
      if (typeof project.id !== 'string' || typeof project.name !== 'string') {
        throw new ActionFailure('provider_error', 'Vercel answered the project in an unexpected shape')
      }
      // Vercel's own id: a name can change, the id cannot.
      await ctx.storeLink({ projectId: project.id, ...(teamId ? { teamId } : {}) }, { token: current.token })
      return { projectId: project.id, name: project.name }
    }
  }

  return [deploy, linkProject, disconnectExecutor(VERCEL_DISCONNECT_NOTE)]
}
