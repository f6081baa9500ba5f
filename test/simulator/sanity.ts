import type { ProviderModule, Reply, RequestContext } from './shared.js'
import { DAY, HOUR, JSON_TYPE, recentInstants, startOfUtcDay } from './shared.js'

// The only GROQ the simulator understands: what the adapter asks for "documents changed since".
const COUNT_SINCE = /^\s*count\s*\(\s*\*\s*\[\s*_updatedAt\s*>=\s*\$since\s*\]\s*\)\s*$/
const VERSION = /^v(\d{4}-\d{2}-\d{2}|1|X)$/
const OLDER_DOCS = 20

function boom (status: number, error: string, message: string): Reply {
  return { status, body: { statusCode: status, error, message } }
}

function queryError (type: string, description: string, query: string): Reply {
  return { status: 400, body: { error: { type, description, start: 0, end: query.length, query } } }
}

function updatedAt (ctx: RequestContext) {
  if (ctx.scenario === 'stale') {
    const last = ctx.now - 12 * DAY
    return Array.from({ length: OLDER_DOCS }, (_, i) => last - i * HOUR)
  }
  const today = startOfUtcDay(ctx.now)
  const recent = recentInstants(ctx.options.docsUpdatedToday ?? 5, ctx.now, today)
  return [...recent, ...Array.from({ length: OLDER_DOCS }, (_, i) => today - (i + 1) * HOUR)]
}

const shared = {
  provider: 'sanity' as const,
  commonHeaders: () => ({ 'content-type': JSON_TYPE }),
  invalidToken: () => ({
    status: 401,
    body: { errorCode: 'SIO-401-ANF', message: 'Session not found', statusCode: 401, error: 'Unauthorized' }
  }),
  rateLimited (ctx: RequestContext): Reply {
    const retryAfter = String(ctx.options.retryAfterSeconds ?? 1)
    return {
      ...boom(ctx.options.status ?? 429, 'Too Many Requests', 'API rate limit exceeded'),
      headers: {
        'retry-after': retryAfter,
        'ratelimit-limit': '500',
        'ratelimit-remaining': '0',
        'ratelimit-reset': retryAfter,
        'x-ratelimit-limit-second': '500',
        'x-ratelimit-remaining-second': '0'
      }
    }
  },
  serverError: (ctx: RequestContext): Reply => ({
    status: ctx.options.status ?? 503,
    headers: { 'content-type': 'text/html' },
    text: '<html><head><title>503 Service Unavailable</title></head><body>upstream unavailable</body></html>'
  }),
  notFound: () => boom(404, 'Not Found', 'Not found')
}

/** `{projectId}.api.sanity.io`, mounted at `/sanity/{projectId}`. */
export const sanityData: ProviderModule = {
  ...shared,
  extraScenarios: ['webhook_disabled'],
  routes: {
    'GET /:version/data/query/:dataset': (ctx, { version = '' }) => {
      if (!VERSION.test(version)) return shared.notFound()
      const query = ctx.query.get('query') ?? ''
      if (!COUNT_SINCE.test(query)) {
        return queryError('queryParseError', 'the simulator only understands count(*[_updatedAt >= $since])', query)
      }
      const raw = ctx.query.get('$since')
      if (raw === null) return queryError('queryError', 'param $since referenced, but not provided', query)
      let since: unknown
      try {
        since = JSON.parse(raw)
      } catch {
        return queryError('httpBadRequest', 'Unable to parse value of "$since=', query)
      }
      const bound = typeof since === 'string' ? Date.parse(since) : NaN
      // A token without read access sees no documents: queries never answer 403.
      const visible = ctx.scenario === 'missing_scopes' ? [] : updatedAt(ctx)
      const result = Number.isNaN(bound) ? 0 : visible.filter((at) => at >= bound).length
      return { status: 200, body: { query, result, syncTags: [], ms: 1 } }
    }
  }
}

/**
 * The project as `GET /v2021-06-07/projects/{id}` answers it: `studioHost` is the hostname
 * label of a Sanity-hosted Studio (`<studioHost>.sanity.studio`), null until `sanity deploy`;
 * `metadata.externalStudioHost` is the URL of a Studio hosted elsewhere.
 */
function project (ctx: RequestContext, projectId: string) {
  const studioHost = ctx.options.studioHost === undefined ? `${projectId}-studio` : ctx.options.studioHost
  return {
    id: projectId,
    displayName: 'Simulated Blog',
    studioHost,
    isBlocked: false,
    isDisabled: false,
    isDisabledByUser: false,
    activityFeedEnabled: true,
    createdAt: '2023-03-14T09:26:53.000Z',
    updatedAt: '2026-10-02T16:41:07.000Z',
    organizationId: 'oSimOrg42',
    metadata: {
      color: '#ef5c3e',
      cliInitializedAt: '2023-03-14T09:27:12.000Z',
      ...(ctx.options.externalStudioHost === undefined ? {} : { externalStudioHost: ctx.options.externalStudioHost })
    },
    maxRetentionDays: 30,
    dataClass: 'basic',
    isOrganizationProject: true,
    pendingInvites: 0,
    members: [
      {
        id: 'pSimRobot1',
        createdAt: '2024-01-08T10:00:00.000Z',
        updatedAt: '2024-01-08T10:00:00.000Z',
        isCurrentUser: true,
        isRobot: true,
        role: 'editor',
        roles: [{ name: 'editor', title: 'Editor' }]
      },
      {
        id: 'psh9hAsjB',
        createdAt: '2023-03-14T09:26:53.000Z',
        updatedAt: '2023-03-14T09:26:53.000Z',
        isCurrentUser: false,
        isRobot: false,
        role: 'administrator',
        roles: [{ name: 'administrator', title: 'Administrator' }]
      }
    ],
    features: ['privateDataset', 'thirdPartyLogin']
  }
}

const PROJECT_PATH = /^\/[^/]+\/projects\/[^/]+$/

/** `api.sanity.io`, mounted at `/sanity-api`. */
export const sanityManagement: ProviderModule = {
  ...shared,
  extraScenarios: ['webhook_disabled'],
  forbidden: (ctx) => boom(403, 'Forbidden', `Insufficient permissions; permission "${PROJECT_PATH.test(ctx.path) ? 'sanity.project.read' : 'sanity.project.webhooks.read'}" required`),
  routes: {
    'GET /:version/projects/:projectId': (ctx, { version = '', projectId = '' }) => {
      if (!VERSION.test(version)) return shared.notFound()
      return { status: 200, body: project(ctx, projectId) }
    },

    'GET /:version/hooks/projects/:projectId': (ctx, { version = '', projectId = '' }) => {
      if (!VERSION.test(version)) return shared.notFound()
      const disabled = ctx.scenario === 'webhook_disabled'
      return {
        status: 200,
        body: [{
          type: 'document',
          rule: { on: ['create', 'update', 'delete'], filter: '', projection: '{ _id, _type, _updatedAt }' },
          apiVersion: 'v2021-03-25',
          httpMethod: 'POST',
          includeDrafts: false,
          headers: {},
          secret: null,
          id: 'nCA0wzdJXR1cVadR',
          name: 'integration-status',
          projectId,
          dataset: '*',
          url: 'https://status.example.test/webhooks/sanity',
          createdAt: '2022-07-22T10:48:21.392Z',
          createdByUserId: 'psh9hAsjB',
          isDisabled: disabled,
          isDisabledByUser: false,
          deletedAt: null,
          description: null
        }]
      }
    }
  }
}
