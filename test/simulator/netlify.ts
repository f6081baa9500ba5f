import type { ProviderModule, Reply, RequestContext } from './shared.js'
import { DAY, HOUR, JSON_TYPE, MINUTE, epochSeconds, hex, intParam, iso } from './shared.js'

/**
 * Netlify's REST API (https://api.netlify.com/api/v1), in the shapes of netlify/open-api
 * `swagger.yml` (2.55.0): `GET /sites/{site_id}` (the `site` model, with `published_deploy`),
 * `GET /sites/{site_id}/deploys` (a bare array of `deploy`, paged by `page`/`per_page` with a
 * `Link` header), `POST /sites/{site_id}/builds` (createSiteBuild → a `build`),
 * `POST /sites/{site_id}/deploys/{deploy_id}/restore` (restoreSiteDeploy → 201 and the deploy).
 * Errors are the spec's `error` model, `{ code, message }`; every answer carries
 * `X-RateLimit-Limit/-Remaining/-Reset` (epoch seconds), as Netlify's API guide shows.
 * Message texts are the simulator's own: Netlify documents the shape, not the wording.
 */

/** Netlify's published figure for most API calls: 500 a minute. */
const LIMIT = 500
const MAX_PER_PAGE = 100
/** Builds started: every build gets its own id, whatever the clock says. */
let builds = 0

type Context = 'production' | 'deploy-preview' | 'branch-deploy'

/**
 * One deploy of the simulated site. `name` makes its id: the same deploy keeps its id on every
 * answer and in every scenario (never derived from the clock, so a listing and a later restore
 * agree however much time passes between them).
 */
interface Slot { name: string, ago: number, context: Context, branch: string, state: string, reviewId?: number, errorMessage?: string }

const error = (status: number, message: string): Reply => ({ status, body: { code: status, message } })

const isUnknownSite = (ctx: RequestContext, siteId: string) => (ctx.options.unknownSites ?? []).includes(siteId)

/** A site's name, as Netlify derives subdomains: stable for a site id. */
const siteName = (siteId: string) => `sim-${hex(siteId, 8)}`

/**
 * The site's deploys, newest first. Healthy: a live production deploy 2 h old, a deploy preview,
 * a branch deploy and two older production deploys (the previous published one is 1 day old).
 * `production_failing` adds a failed production deploy on top; `building` an in-progress one;
 * `no_successful_deploy` turns every deploy into a failed one; `stale` ages everything 10 days.
 */
function slots (ctx: RequestContext): Slot[] {
  if (ctx.options.noDeploys) return []
  const main = ctx.options.branch ?? 'main'
  const shift = ctx.scenario === 'stale' ? 10 * DAY : 0
  const base = ([
    // Published 2 min after it started: live for a little over 2 h.
    { name: 'live', ago: 2 * HOUR + 5 * MINUTE, context: 'production', branch: main, state: 'ready' },
    { name: 'preview', ago: 3 * HOUR, context: 'deploy-preview', branch: 'feature-login', state: 'ready', reviewId: 42 },
    { name: 'previous', ago: DAY, context: 'production', branch: main, state: 'ready' },
    { name: 'branch', ago: 2 * DAY, context: 'branch-deploy', branch: 'staging', state: 'ready' },
    { name: 'oldest', ago: 3 * DAY, context: 'production', branch: main, state: 'ready' }
  ] satisfies Slot[]).map((s): Slot => ({ ...s, ago: s.ago + shift }))
  if (ctx.scenario === 'production_failing') {
    base.unshift({ name: 'failing', ago: 30 * MINUTE, context: 'production', branch: main, state: 'error', errorMessage: 'Build script returned non-zero exit code: 2' })
  }
  if (ctx.scenario === 'building') {
    base.unshift({ name: 'building', ago: 5 * MINUTE, context: 'production', branch: main, state: ctx.options.deployState ?? 'building' })
  }
  if (ctx.scenario === 'no_successful_deploy') {
    return base.map((s) => ({ ...s, state: 'error', errorMessage: 'Build script returned non-zero exit code: 1' }))
  }
  return base
}

function deployOf (ctx: RequestContext, siteId: string, slot: Slot, index: number, published: boolean) {
  const name = siteName(siteId)
  const created = ctx.now - slot.ago
  const id = hex(`${siteId}#${slot.name}`, 24)
  const ready = slot.state === 'ready'
  const done = ready || slot.state === 'error'
  const host = slot.context === 'deploy-preview' ? `deploy-preview-${slot.reviewId}--${name}` : slot.context === 'branch-deploy' ? `${slot.branch}--${name}` : `${id}--${name}`
  const commit = hex(`commit#${id}`)
  return {
    id,
    site_id: siteId,
    build_id: hex(`build#${id}`, 24),
    user_id: '5ace049efdd72a6b9aa9539c',
    state: slot.state,
    name,
    url: `http://${name}.netlify.app`,
    ssl_url: `https://${name}.netlify.app`,
    admin_url: `https://app.netlify.com/sites/${name}`,
    deploy_url: `http://${host}.netlify.app`,
    deploy_ssl_url: `https://${host}.netlify.app`,
    screenshot_url: null,
    review_id: slot.reviewId ?? null,
    review_url: slot.reviewId ? `https://github.com/octocat/${name}/pull/${slot.reviewId}` : null,
    draft: false,
    required: [],
    required_functions: [],
    error_message: slot.errorMessage ?? null,
    branch: slot.branch,
    commit_ref: commit,
    commit_url: `https://github.com/octocat/${name}/commit/${commit}`,
    skipped: null,
    created_at: iso(created),
    updated_at: iso(done ? created + 2 * MINUTE : created),
    // Production deploys are published as they finish (auto publishing on).
    published_at: published ? iso(created + 2 * MINUTE) : null,
    title: `Simulated deploy ${index}`,
    context: slot.context,
    locked: null,
    framework: 'astro'
  }
}

type Deploy = ReturnType<typeof deployOf>

function siteState (ctx: RequestContext, siteId: string) {
  const all = slots(ctx)
  const live = all.findIndex((s) => s.context === 'production' && s.state === 'ready')
  const deploys = all.map((slot, i) => deployOf(ctx, siteId, slot, i, slot.context === 'production' && slot.state === 'ready'))
  return { deploys, published: live < 0 ? null : deploys[live]! }
}

function site (ctx: RequestContext, siteId: string, published: Deploy | null) {
  const name = siteName(siteId)
  return {
    id: siteId,
    site_id: siteId,
    state: 'current',
    plan: 'nf_team_dev',
    name,
    custom_domain: null,
    url: `http://${name}.netlify.app`,
    ssl_url: `https://${name}.netlify.app`,
    admin_url: `https://app.netlify.com/sites/${name}`,
    screenshot_url: null,
    created_at: iso(ctx.now - 400 * DAY),
    updated_at: published?.updated_at ?? iso(ctx.now - 400 * DAY),
    user_id: '5ace049efdd72a6b9aa9539c',
    ssl: true,
    force_ssl: true,
    managed_dns: true,
    deploy_url: published?.deploy_url ?? `http://${name}.netlify.app`,
    published_deploy: published,
    account_id: '5ace049efdd72a6b9aa9539d',
    account_name: 'Octocat\'s team',
    account_slug: 'octocat',
    git_provider: 'github',
    build_settings: {
      provider: 'github',
      repo_path: `octocat/${name}`,
      repo_url: `https://github.com/octocat/${name}`,
      repo_branch: ctx.options.branch ?? 'main',
      cmd: 'npm run build',
      dir: 'dist',
      allowed_branches: [ctx.options.branch ?? 'main'],
      stop_builds: false
    }
  }
}

const truthy = (value: string | null) => value === 'true' || value === '1'

/** `Link: <…?page=2&per_page=20>; rel="next", <…?page=5&per_page=20>; rel="last"`. */
function linkHeader (ctx: RequestContext, siteId: string, page: number, perPage: number, total: number) {
  const last = Math.max(1, Math.ceil(total / perPage))
  const at = (p: number) => {
    const query = new URLSearchParams(ctx.query)
    query.set('page', String(p))
    query.set('per_page', String(perPage))
    return `<https://api.netlify.com/api/v1/sites/${encodeURIComponent(siteId)}/deploys?${query}>`
  }
  const links = [...(page < last ? [`${at(page + 1)}; rel="next"`] : []), `${at(last)}; rel="last"`]
  return links.join(', ')
}

export const netlify: ProviderModule = {
  provider: 'netlify',
  extraScenarios: ['production_failing', 'building', 'no_successful_deploy'],

  commonHeaders (ctx) {
    const limited = ctx.scenario === 'rate_limited'
    return {
      'content-type': JSON_TYPE,
      'x-nf-request-id': `01${hex(`${ctx.now}${ctx.path}`, 24).toUpperCase()}`,
      'x-ratelimit-limit': String(LIMIT),
      'x-ratelimit-remaining': String(limited ? 0 : LIMIT - 1),
      'x-ratelimit-reset': String(epochSeconds(ctx.now + (ctx.options.retryAfterSeconds ?? 60) * 1000))
    }
  },

  // Netlify answers a missing, revoked or unknown token with 401.
  invalidToken: () => error(401, 'Access Denied'),
  rateLimited: (ctx) => error(ctx.options.status ?? 429, 'Rate limit exceeded'),
  serverError: (ctx) => error(ctx.options.status ?? 500, 'Internal Server Error'),
  // Netlify tokens carry no scopes: a site the token cannot see is a 404, not a 403.
  forbidden: () => undefined,
  notFound: () => error(404, 'Not Found'),

  routes: {
    'GET /user': () => ({
      status: 200,
      body: { id: '5ace049efdd72a6b9aa9539c', uid: null, full_name: 'The Octocat', avatar_url: null, email: 'octocat@example.com', site_count: 3, login_providers: ['github'] }
    }),

    'GET /sites/:site_id': (ctx, { site_id: siteId = '' }) => {
      if (isUnknownSite(ctx, siteId)) return error(404, 'Not Found')
      return { status: 200, body: site(ctx, siteId, siteState(ctx, siteId).published) }
    },

    'GET /sites/:site_id/deploys': (ctx, { site_id: siteId = '' }) => {
      if (isUnknownSite(ctx, siteId)) return error(404, 'Not Found')
      const state = ctx.query.get('state')
      const branch = ctx.query.get('branch')
      const matching = siteState(ctx, siteId).deploys.filter((d) =>
        (!truthy(ctx.query.get('production')) || d.context === 'production') &&
        (!truthy(ctx.query.get('deploy-previews')) || d.context === 'deploy-preview') &&
        (state === null || d.state === state) &&
        (branch === null || d.branch === branch))
      const perPage = intParam(ctx.query.get('per_page'), MAX_PER_PAGE, 1, MAX_PER_PAGE)
      const page = intParam(ctx.query.get('page'), 1, 1, Number.MAX_SAFE_INTEGER)
      return {
        status: 200,
        headers: { link: linkHeader(ctx, siteId, page, perPage, matching.length) },
        body: matching.slice((page - 1) * perPage, page * perPage)
      }
    },

    'GET /sites/:site_id/deploys/:deploy_id': (ctx, { site_id: siteId = '', deploy_id: deployId = '' }) => {
      if (isUnknownSite(ctx, siteId)) return error(404, 'Not Found')
      const found = siteState(ctx, siteId).deploys.find((d) => d.id === deployId)
      return found ? { status: 200, body: found } : error(404, 'Not Found')
    },

    /** createSiteBuild: no branch = production; a branch = a branch deploy. The build starts later. */
    'POST /sites/:site_id/builds': (ctx, { site_id: siteId = '' }) => {
      if (isUnknownSite(ctx, siteId)) return error(404, 'Not Found')
      const branch = ctx.query.get('branch')
      if (branch !== null && !/^[^\s~^:?*[\\]{1,255}$/.test(branch)) return error(422, 'Invalid branch')
      const id = hex(`build#${siteId}#${branch ?? ''}#${++builds}`, 24)
      return {
        status: 200,
        body: { id, deploy_id: hex(`deploy#${id}`, 24), sha: null, done: false, error: null, created_at: iso(ctx.now) }
      }
    },

    /** restoreSiteDeploy: publishes a ready deploy of the site again (rollback or rollforward). */
    'POST /sites/:site_id/deploys/:deploy_id/restore': (ctx, { site_id: siteId = '', deploy_id: deployId = '' }) => {
      if (isUnknownSite(ctx, siteId)) return error(404, 'Not Found')
      const found = siteState(ctx, siteId).deploys.find((d) => d.id === deployId)
      if (!found) return error(404, 'Not Found')
      if (found.state !== 'ready') return error(422, 'Only ready deploys can be published')
      return { status: 201, body: { ...found, published_at: iso(ctx.now), updated_at: iso(ctx.now) } }
    }
  }
}
