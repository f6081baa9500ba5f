import type { ProviderModule, Reply, RequestContext } from './shared.js'
import { DAY, JSON_TYPE, epochSeconds, hex, intParam, recentInstants, startOfUtcWeek } from './shared.js'

const LIMIT = 100

function error (status: number, code: string, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { error: { code, message, ...extra } } }
}

type Target = 'production' | 'staging' | null

interface Slot { created: number, target: Target }

/**
 * Newest first: this week's deployments alternate production / preview, then one older
 * production and one older preview, so both environments always have a latest deployment.
 */
function slots (ctx: RequestContext): Slot[] {
  if (ctx.options.neverDeployed) return []
  const stale = ctx.scenario === 'stale'
  const count = ctx.options.deploymentsThisWeek ?? (stale ? 0 : 3)
  const recent = recentInstants(count, ctx.now, startOfUtcWeek(ctx.now))
    .map((created, i): Slot => ({ created, target: i % 2 === 0 ? 'production' : null }))
  const oldest = ctx.now - (stale ? 12 : 8) * DAY
  return [...recent, { created: oldest, target: 'production' }, { created: oldest - DAY, target: null }]
}

function build (ctx: RequestContext, projectId: string, name: string) {
  const all = slots(ctx)
  const latestProduction = all.findIndex((s) => s.target === 'production')
  return all.map(({ created, target }, i) => {
    let state = 'READY'
    if (i === latestProduction && ctx.scenario === 'production_failing') state = 'ERROR'
    if (i === latestProduction && ctx.scenario === 'building') state = 'BUILDING'
    const id = hex(`${projectId}#${created}#${i}`, 24)
    const sha = hex(`sha${id}`)
    return {
      uid: `dpl_${id}`,
      name,
      projectId,
      url: `${name}-${id.slice(0, 9)}-sim.vercel.app`,
      created,
      createdAt: created,
      buildingAt: created + 1000,
      ...(state === 'READY' ? { ready: Math.min(ctx.now, created + 30_000) } : {}),
      state,
      readyState: state,
      ...(state === 'READY' && target === 'production' ? { readySubstate: 'PROMOTED' } : {}),
      ...(state === 'ERROR' ? { errorCode: 'BUILD_FAILED', errorMessage: 'Command "npm run build" exited with 1' } : {}),
      type: 'LAMBDAS',
      target,
      source: 'git',
      aliasAssigned: state === 'READY' ? created + 30_000 : null,
      isRollbackCandidate: state === 'READY' && target === 'production',
      creator: { uid: 'usr_sim', username: 'octocat', githubLogin: 'octocat' },
      inspectorUrl: `https://vercel.com/sim/${name}/${id}`,
      meta: { githubCommitSha: sha, githubCommitRef: ctx.options.branch ?? 'main', githubCommitMessage: `Simulated deploy ${i}` } as Record<string, string>
    }
  })
}

type Deployment = ReturnType<typeof build>[number]

function deployments (ctx: RequestContext, projectId: string, name: string) {
  const list = build(ctx, projectId, name)
  for (const deployment of list) remember(deployment)
  return list
}

/**
 * Every deployment the simulator has shown (listed or created), so a redeploy can tell a known
 * id from an unknown one. Ids are hashes of project, time and position, so simulators started
 * by different tests agree on them; the oldest entries are forgotten past the cap.
 */
const known = new Map<string, Deployment>()
const KNOWN_CAP = 20_000
let created = 0

function remember (deployment: Deployment) {
  known.delete(deployment.uid)
  known.set(deployment.uid, deployment)
  while (known.size > KNOWN_CAP) known.delete(known.keys().next().value!)
  return deployment
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isUnknownProject = (ctx: RequestContext, idOrName: string | null) =>
  idOrName !== null && (ctx.options.unknownProjects ?? []).includes(idOrName)

const projectNotFound = () => error(404, 'not_found', 'Project not found')

/**
 * `POST /v13/deployments` with `deploymentId`: a redeploy, as `vercel redeploy` sends it. The
 * answer is the new deployment in the create endpoint's shape (`id`, not the list's `uid`).
 */
function redeploy (ctx: RequestContext): Reply {
  const body = ctx.body
  if (!isRecord(body)) return error(400, 'bad_request', 'Invalid request: the body must be a JSON object.')
  if (typeof body.name !== 'string' || body.name === '') return error(400, 'bad_request', 'Invalid request: missing required property `name`.')
  if (body.deploymentId === undefined) {
    return error(400, 'bad_request', 'Invalid request: missing property `deploymentId` (the simulator only creates redeployments).')
  }
  if (typeof body.deploymentId !== 'string') return error(400, 'bad_request', 'Invalid request: `deploymentId` should be string.')
  const target = body.target ?? null
  if (target !== null && target !== 'production' && target !== 'staging') {
    return error(400, 'bad_request', 'Invalid request: `target` should be equal to one of the allowed values "production", "staging".')
  }
  if (body.meta !== undefined && (!isRecord(body.meta) || Object.values(body.meta).some((v) => typeof v !== 'string'))) {
    return error(400, 'bad_request', 'Invalid request: `meta` should be an object of strings.')
  }
  const from = known.get(body.deploymentId)
  if (!from) return error(404, 'not_found', 'The deployment could not be found.')

  const id = hex(`redeploy#${from.uid}#${ctx.now}#${++created}`, 24)
  const readyState = ctx.scenario === 'building' ? 'BUILDING' : 'QUEUED'
  const slug = body.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-')
  const deployment = remember({
    uid: `dpl_${id}`,
    name: body.name,
    projectId: from.projectId,
    url: `${slug}-${id.slice(0, 9)}-sim.vercel.app`,
    created: ctx.now,
    createdAt: ctx.now,
    buildingAt: ctx.now,
    state: readyState,
    readyState,
    type: 'LAMBDAS',
    target,
    source: 'redeploy',
    aliasAssigned: null,
    isRollbackCandidate: false,
    creator: from.creator,
    inspectorUrl: `https://vercel.com/sim/${slug}/${id}`,
    // Vercel keeps the git metadata of the deployment it rebuilds.
    meta: { ...from.meta, ...(body.meta as Record<string, string> | undefined) }
  })
  const { uid, created: _created, state: _state, aliasAssigned: _aliasAssigned, ...rest } = deployment
  return {
    status: 200,
    body: {
      ...rest,
      id: uid,
      status: readyState,
      alias: [],
      aliasAssigned: false,
      public: false,
      version: 2,
      regions: ['iad1'],
      ownerId: ctx.query.get('teamId') ?? 'usr_sim',
      plan: 'pro',
      createdIn: 'sfo1'
    }
  }
}

function matchesTarget (d: Deployment, target: string | null) {
  if (target === null) return true
  return target === 'preview' ? d.target === null : d.target === target
}

export const vercel: ProviderModule = {
  provider: 'vercel',
  extraScenarios: ['production_failing', 'building'],

  commonHeaders (ctx) {
    const limited = ctx.scenario === 'rate_limited'
    return {
      'content-type': JSON_TYPE,
      'x-vercel-id': `fra1::${hex(`${ctx.now}${ctx.path}`, 12)}`,
      'x-ratelimit-limit': String(LIMIT),
      'x-ratelimit-remaining': String(limited ? 0 : LIMIT - 1),
      'x-ratelimit-reset': String(epochSeconds(ctx.now + (ctx.options.retryAfterSeconds ?? 60) * 1000))
    }
  },

  invalidToken: (ctx) => ctx.tokenMissing
    ? error(403, 'forbidden', 'The request is missing an authentication token', { missingToken: true })
    : error(403, 'forbidden', 'Not authorized', { invalidToken: true }),

  rateLimited (ctx) {
    const resetMs = ctx.now + (ctx.options.retryAfterSeconds ?? 60) * 1000
    return error(ctx.options.status ?? 429, 'rate_limited', 'Rate limit exceeded',
      { limit: { remaining: 0, reset: epochSeconds(resetMs), resetMs, total: LIMIT } })
  },

  serverError: (ctx) => error(ctx.options.status ?? 500, 'internal_server_error', 'An unexpected internal error occurred'),

  // A token that cannot reach the team still identifies its user.
  forbidden: (ctx) => ctx.path === '/v2/user'
    ? undefined
    : error(403, 'forbidden', `Not authorized: Trying to access resource under scope "${ctx.query.get('teamId') ?? 'sim'}".`),

  notFound: () => error(404, 'not_found', 'The requested resource was not found'),

  routes: {
    'GET /v2/user': () => ({
      status: 200,
      body: {
        user: {
          id: 'usr_sim',
          email: 'octocat@example.com',
          name: 'The Octocat',
          username: 'octocat',
          avatar: null,
          defaultTeamId: null,
          version: 'northstar'
        }
      }
    }),

    'GET /v6/deployments': (ctx) => {
      if (isUnknownProject(ctx, ctx.query.get('projectId'))) return projectNotFound()
      const projectId = ctx.query.get('projectId') ?? 'prj_sim'
      const since = Number(ctx.query.get('since') ?? -Infinity)
      const until = Number(ctx.query.get('until') ?? Infinity)
      const states = ctx.query.get('state')?.split(',')
      const limit = intParam(ctx.query.get('limit'), 20, 1, 100)
      if (Number.isNaN(since) || Number.isNaN(until)) return error(400, 'bad_request', 'Invalid request: `since` and `until` must be numbers.')
      const matching = deployments(ctx, projectId, ctx.query.get('app') ?? 'sim-app').filter((d) =>
        matchesTarget(d, ctx.query.get('target')) &&
        d.created >= since && d.created < until &&
        (states === undefined || states.includes(d.readyState)))
      const page = matching.slice(0, limit)
      // `next` feeds the next request's `until`, which is exclusive.
      const more = matching.length > page.length
      return {
        status: 200,
        body: {
          pagination: { count: page.length, next: more ? page.at(-1)!.created : null, prev: page[0]?.created ?? null },
          deployments: page
        }
      }
    },

    'POST /v13/deployments': redeploy,

    'GET /v9/projects/:idOrName': (ctx, { idOrName = '' }) => {
      if (isUnknownProject(ctx, idOrName)) return projectNotFound()
      const id = idOrName.startsWith('prj_') ? idOrName : `prj_${hex(idOrName, 20)}`
      const name = idOrName.startsWith('prj_') ? 'sim-app' : idOrName
      const all = deployments(ctx, id, name)
      const production = all.find((d) => d.target === 'production')
      return {
        status: 200,
        body: {
          id,
          name,
          accountId: 'team_sim',
          framework: 'nextjs',
          createdAt: ctx.now - 400 * DAY,
          updatedAt: all[0]?.created ?? ctx.now - 400 * DAY,
          link: {
            type: 'github',
            org: 'octocat',
            repo: name,
            repoId: 1296269,
            productionBranch: ctx.options.branch ?? 'main'
          },
          latestDeployments: all.slice(0, 5),
          targets: production
            ? { production: { ...production, alias: production.readyState === 'READY' ? [`${name}.vercel.app`] : [] } }
            : {},
          paused: false,
          live: false
        }
      }
    }
  }
}
