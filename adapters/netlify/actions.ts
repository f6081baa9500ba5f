import { ActionFailure } from '../../src/provider-kit/executor.js'
import type { ActionExecutor, ExecutionContext } from '../../src/provider-kit/executor.js'
import type { ActionDefinition } from '../../src/provider-kit/manifest.js'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { ProviderResponse } from '../../src/provider-kit/http.js'
import { disconnectExecutor, noParams } from '../../src/provider-kit/shared-actions.js'
import { errorMessage, isRecord, rateLimitRetryAfter } from './failures.js'
import { buildsPath, deploysPath, isProduction, newest, readDeployList, readSite, restorePath, sitePath, type Deploy, type Site } from './deploys.js'

/**
 * Netlify's quick actions.
 *
 * deploy: `POST /sites/{site_id}/builds` (N-OAS createSiteBuild): "If no branch is specified, it
 * is treated as a production deploy. If a branch IS specified and matches the main branch, it is
 * also production. If a branch is specified and doesn't match the main branch, it is a branch
 * deploy." So a preview is a branch deploy of a branch other than the site's production branch
 * (`build_settings.repo_branch`), which is checked before building: an editor's preview must not
 * turn into a production deploy. `clear_cache` is a query parameter in the current spec.
 *
 * rollback: `POST /sites/{site_id}/deploys/{deploy_id}/restore` (N-OAS restoreSiteDeploy, 201)
 * publishes the newest successful production deploy created before the one now published.
 * Running it again rolls back one deploy further, so neither action is retried after a crash.
 */

export const NETLIFY_ACTIONS = [
  { id: 'deploy', label: 'Deploy', capability: 'deploy' },
  { id: 'rollback', label: 'Roll back', capability: 'deploy' },
  { id: 'disconnect', label: 'Disconnect', capability: 'connect' }
] as const satisfies readonly ActionDefinition[]

/** How far back a branch deploy (preview without a branch) or an earlier production deploy is looked for. */
export const DEPLOY_SCAN_LIMIT = 100

/** A git branch name, as GithubLinkConfig checks one. */
const BRANCH = /^[^\s~^:?*[\\]{1,255}$/

export const NETLIFY_DISCONNECT_NOTE = 'The link and its stored token were removed here. The token itself still works at Netlify: ' +
  'a personal access token may be used elsewhere, so this service leaves it alone. Revoke it under Netlify › User settings › Applications ' +
  '(personal access tokens, or the OAuth application\'s authorization) if it was made for this project.'

type Target = 'production' | 'preview'
interface Link { siteId: string, token: string }

function unknownKeys (params: Record<string, unknown>, allowed: string[]) {
  const extra = Object.keys(params).filter((key) => !allowed.includes(key))
  if (extra.length === 0) return undefined
  return `Unknown parameter${extra.length === 1 ? '' : 's'}: ${extra.join(', ')} (allowed: ${allowed.join(', ')})`
}

function requireLink (ctx: ExecutionContext): Link {
  if (!ctx.link) throw new ActionFailure('not_linked', 'Netlify is not linked to this project')
  const { siteId } = ctx.link.config
  if (typeof siteId !== 'string') throw new ActionFailure('not_linked', 'The Netlify link has no site')
  return { siteId, token: ctx.link.credentials.token }
}

/** The failures every call shares: refused token, no permission, rate limit, anything unexpected. */
function failureFor (res: ProviderResponse, ctx: ExecutionContext): ActionFailure {
  if (res.status === 401) return new ActionFailure('revoked', 'Netlify rejected the token (it was revoked or expired): reconnect Netlify')
  if (res.status === 403) return new ActionFailure('no_access', 'The Netlify token may not do this on the linked site: reconnect Netlify with an account that can')
  if (res.status === 429) return new ActionFailure('rate_limited', `Netlify is rate limiting this token: try again in ${rateLimitRetryAfter(res, ctx.now)}s`)
  const message = res.status === 422 ? errorMessage(res)?.slice(0, 200) : undefined
  return new ActionFailure('provider_error', `Netlify answered ${res.status}${message ? `: ${message}` : ''}`)
}

/**
 * Wire trouble (ProviderFailure from provider-http) becomes the action's failure, unless the
 * action's own signal ended the call: then the service's abort goes back to it unchanged.
 */
async function call (ctx: ExecutionContext, work: () => Promise<ProviderResponse>, timeoutMessage = 'Netlify did not answer in time') {
  try {
    return await work()
  } catch (error) {
    if (ctx.signal.aborted || !(error instanceof ProviderFailure)) throw error
    if (error.code === 'timeout') throw new ActionFailure('timeout', timeoutMessage, { cause: error })
    throw new ActionFailure('provider_error', 'Netlify could not be reached or sent an unreadable answer', { cause: error })
  }
}

/** Reads a 200 answer through the model readers; a shape they refuse is Netlify's error, not ours. */
function read<T> (reader: () => T, what: string): T {
  try {
    return reader()
  } catch (error) {
    if (error instanceof ProviderFailure) throw new ActionFailure('provider_error', `Netlify answered the ${what} in an unexpected shape`, { cause: error })
    throw error
  }
}

const readTarget = (params: Record<string, unknown>): Target | undefined => {
  const target = params.target === undefined ? 'preview' : params.target
  return target === 'production' || target === 'preview' ? target : undefined
}

export function createNetlifyExecutors ({ apiUrl }: { apiUrl: string }): ActionExecutor[] {
  const url = (path: string, query: Record<string, string> = {}) => {
    const u = new URL(`${apiUrl}${path}`)
    u.search = new URLSearchParams(query).toString()
    return u
  }
  const auth = (link: Link) => ({ authorization: `Bearer ${link.token}` })

  async function loadSite (ctx: ExecutionContext, link: Link): Promise<Site> {
    const res = await call(ctx, () => ctx.http.getJson(url(sitePath(link.siteId)), { headers: auth(link), signal: ctx.signal }))
    if (res.status === 404) {
      throw new ActionFailure('nothing_to_deploy', 'Netlify does not know the linked site any more (or the token cannot see it): link the site again')
    }
    if (res.status !== 200) throw failureFor(res, ctx)
    return read(() => readSite(res), 'site')
  }

  async function listDeploys (ctx: ExecutionContext, link: Link, query: Record<string, string>): Promise<Deploy[]> {
    const res = await call(ctx, () => ctx.http.getJson(url(deploysPath(link.siteId), query), { headers: auth(link), signal: ctx.signal }))
    if (res.status === 404) throw new ActionFailure('nothing_to_deploy', 'Netlify does not know the linked site any more: link the site again')
    if (res.status !== 200) throw failureFor(res, ctx)
    return read(() => readDeployList(res), 'deploy list')
  }

  /** The branch a preview builds: the one asked for, else the newest branch deploy's. */
  async function previewBranch (ctx: ExecutionContext, link: Link, site: Site, asked: string | undefined) {
    let branch = asked
    if (branch === undefined) {
      const recent = await listDeploys(ctx, link, { per_page: String(DEPLOY_SCAN_LIMIT) })
      branch = newest(recent, (d) => d.context === 'branch-deploy' && d.branch !== undefined && d.branch !== site.productionBranch)?.branch
      if (branch === undefined) {
        throw new ActionFailure('nothing_to_deploy', `There is no branch deploy among the site's ${DEPLOY_SCAN_LIMIT} most recent deploys to rebuild: give the branch to deploy (params.branch)`)
      }
    }
    if (site.productionBranch !== undefined && branch === site.productionBranch) {
      throw new ActionFailure('invalid_params', `${branch} is the site's production branch: building it deploys to production (use target "production")`)
    }
    return branch
  }

  const deploy: ActionExecutor = {
    id: 'deploy',
    mode: 'inline',
    // A second run would start a second build.
    retryable: false,
    needsLink: true,
    check (params, role) {
      const extra = unknownKeys(params, ['target', 'branch', 'clearCache'])
      if (extra) return extra
      const target = readTarget(params)
      if (!target) return 'target must be "production" or "preview"'
      if (params.branch !== undefined && (typeof params.branch !== 'string' || !BRANCH.test(params.branch))) {
        return 'branch must be a git branch name (1–255 characters, no spaces or ~^:?*[\\)'
      }
      if (params.branch !== undefined && target === 'production') return 'branch is for preview deploys: production builds the site\'s production branch'
      if (params.clearCache !== undefined && typeof params.clearCache !== 'boolean') return 'clearCache must be true or false'
      if (role === 'editor' && target === 'production') return { forbidden: 'Editors can deploy to preview only' }
      return undefined
    },
    async run (ctx) {
      const link = requireLink(ctx)
      const params = ctx.action.params
      const target = readTarget(params)
      if (!target) throw new ActionFailure('invalid_params', 'target must be "production" or "preview"')
      const site = await loadSite(ctx, link)
      const branch = target === 'preview' ? await previewBranch(ctx, link, site, params.branch as string | undefined) : undefined

      await ctx.progress({ stage: 'building', target, ...(branch ? { branch } : {}) })
      const query = { ...(branch ? { branch } : {}), ...(params.clearCache === true ? { clear_cache: 'true' } : {}) }
      const res = await call(ctx,
        () => ctx.http.requestJson('POST', url(buildsPath(link.siteId), query), { headers: auth(link), signal: ctx.signal }),
        'Netlify did not answer the build request in time; it may still have started: check the site\'s deploys before deploying again')
      if (res.status === 404) throw new ActionFailure('nothing_to_deploy', 'Netlify does not know the linked site any more: link the site again')
      if (res.status < 200 || res.status >= 300) throw failureFor(res, ctx)
      const build = isRecord(res.body) ? res.body : {}
      if (typeof build.id !== 'string') {
        throw new ActionFailure('provider_error', 'Netlify accepted the build but its answer could not be read: check the site\'s deploys')
      }
      return {
        buildId: build.id,
        ...(typeof build.deploy_id === 'string' ? { deployId: build.deploy_id } : {}),
        target,
        ...(branch ? { branch } : {})
      }
    }
  }

  const rollback: ActionExecutor = {
    id: 'rollback',
    mode: 'inline',
    // A second run would roll back one deploy further.
    retryable: false,
    needsLink: true,
    check (params, role) {
      const extra = noParams('rollback')(params)
      if (extra) return extra
      if (role === 'editor') return { forbidden: 'Editors cannot roll back production' }
      return undefined
    },
    async run (ctx) {
      const link = requireLink(ctx)
      const site = await loadSite(ctx, link)
      const live = site.published
      if (!live) throw new ActionFailure('nothing_to_deploy', 'Nothing is published on Netlify yet: there is nothing to roll back')
      const ready = await listDeploys(ctx, link, { production: 'true', state: 'ready', per_page: String(DEPLOY_SCAN_LIMIT) })
      const previous = newest(ready, (d) => isProduction(d) && d.state === 'ready' && d.id !== live.id && d.createdAt < live.createdAt)
      if (!previous) {
        throw new ActionFailure('nothing_to_deploy', `There is no earlier successful production deploy among the site's ${DEPLOY_SCAN_LIMIT} most recent to roll back to`)
      }

      await ctx.progress({ stage: 'restoring', from: live.id, to: previous.id })
      const res = await call(ctx,
        () => ctx.http.requestJson('POST', url(restorePath(link.siteId, previous.id)), { headers: auth(link), signal: ctx.signal }),
        'Netlify did not answer the rollback in time; it may still have happened: check the site\'s published deploy before rolling back again')
      if (res.status === 404) throw new ActionFailure('nothing_to_deploy', `The deploy to roll back to (${previous.id}) no longer exists at Netlify`)
      if (res.status < 200 || res.status >= 300) throw failureFor(res, ctx)
      const restored = isRecord(res.body) ? res.body : {}
      if (restored.id !== previous.id || typeof restored.state !== 'string') {
        throw new ActionFailure('provider_error', 'Netlify accepted the rollback but its answer could not be read: check the site\'s published deploy')
      }
      return {
        deployId: previous.id,
        previousDeployId: live.id,
        state: restored.state,
        ...(typeof restored.deploy_ssl_url === 'string' ? { url: restored.deploy_ssl_url } : {})
      }
    }
  }

  return [deploy, rollback, disconnectExecutor(NETLIFY_DISCONNECT_NOTE)]
}
