import type { ProviderModule, Reply, RequestContext } from './shared.js'
import { DAY, HOUR, JSON_TYPE, epochSeconds, hex, intParam, iso } from './shared.js'

const API = 'https://api.github.com'
const DOCS = 'https://docs.github.com/rest'
const VERSIONS = ['2022-11-28', '2026-03-10']
const LIMIT = 5000

function error (status: number, message: string, documentationUrl = DOCS, headers?: Record<string, string>): Reply {
  return { status, headers, body: { message, documentation_url: documentationUrl, status: String(status) } }
}

const branchOf = (ctx: RequestContext) => ctx.options.branch ?? 'main'
const isPrivate = (ctx: RequestContext) => ctx.options.private ?? true
const lastCommitAt = (ctx: RequestContext) =>
  ctx.now - (ctx.options.lastCommitAgeMs ?? (ctx.scenario === 'stale' ? 12 * DAY : 2 * HOUR))

/** A `public_repo` token cannot see a private repository, and GitHub says 404 rather than 403. */
function hidden (ctx: RequestContext, docs: string) {
  if (ctx.scenario === 'missing_scopes' && isPrivate(ctx)) return error(404, 'Not Found', `${DOCS}/${docs}`)
  return undefined
}

function commit (owner: string, repo: string, at: number, index: number) {
  const sha = hex(`${owner}/${repo}#${at}#${index}`)
  const who = { name: 'The Octocat', email: 'octocat@github.com', date: iso(at) }
  const login = { login: 'octocat', id: 583231, type: 'User' }
  return {
    sha,
    node_id: `C_${sha.slice(0, 20)}`,
    commit: {
      author: who,
      committer: who,
      message: `Simulated commit ${index}`,
      tree: { sha: hex(`tree${sha}`), url: `${API}/repos/${owner}/${repo}/git/trees/${sha}` },
      url: `${API}/repos/${owner}/${repo}/git/commits/${sha}`,
      comment_count: 0
    },
    url: `${API}/repos/${owner}/${repo}/commits/${sha}`,
    html_url: `https://github.com/${owner}/${repo}/commit/${sha}`,
    author: login,
    committer: login,
    parents: []
  }
}

/** Newest first, an hour apart, starting at the branch head. */
function history (ctx: RequestContext, owner: string, repo: string) {
  const head = lastCommitAt(ctx)
  return Array.from({ length: ctx.options.commitCount ?? 10 }, (_, i) => commit(owner, repo, head - i * HOUR, i))
}

function rateResource (ctx: RequestContext) {
  const limited = ctx.scenario === 'rate_limited' && !ctx.options.secondary
  const resetIn = limited ? (ctx.options.retryAfterSeconds ?? 60) * 1000 : HOUR
  return {
    limit: LIMIT,
    remaining: limited ? 0 : LIMIT - 1,
    used: limited ? LIMIT : 1,
    reset: epochSeconds(ctx.now + resetIn)
  }
}

export const github: ProviderModule = {
  provider: 'github',
  extraScenarios: [],

  commonHeaders (ctx) {
    const rate = rateResource(ctx)
    const headers: Record<string, string> = {
      'content-type': JSON_TYPE,
      'x-github-api-version-selected': String(ctx.headers['x-github-api-version'] ?? VERSIONS[0]),
      'x-github-request-id': hex(`${ctx.now}${ctx.path}`, 16).toUpperCase(),
      'x-ratelimit-limit': String(rate.limit),
      'x-ratelimit-remaining': String(rate.remaining),
      'x-ratelimit-used': String(rate.used),
      'x-ratelimit-reset': String(rate.reset),
      'x-ratelimit-resource': 'core',
      'x-accepted-oauth-scopes': ctx.path.startsWith('/repos/') ? 'repo' : ''
    }
    // Only a token GitHub recognised gets its scopes echoed back.
    if (ctx.scenario !== 'revoked') {
      headers['x-oauth-scopes'] = ctx.scenario === 'missing_scopes' ? 'public_repo' : 'repo, read:org'
    }
    return headers
  },

  preflight (ctx) {
    const version = ctx.headers['x-github-api-version']
    if (typeof version === 'string' && !VERSIONS.includes(version)) {
      return error(400, `Unsupported 'X-GitHub-Api-Version' header value: ${version}`, `${DOCS}/overview/api-versions`)
    }
    return undefined
  },

  invalidToken: () => error(401, 'Bad credentials'),

  rateLimited (ctx) {
    if (ctx.path === '/rate_limit') return undefined
    const status = ctx.options.status ?? 403
    if (ctx.options.secondary) {
      return error(status, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`,
        { 'retry-after': String(ctx.options.retryAfterSeconds ?? 60) })
    }
    return error(status, 'API rate limit exceeded for user ID 583231. If you reach out to GitHub Support for help, please include the request ID.',
      `${DOCS}/overview/rate-limits-for-the-rest-api`)
  },

  serverError (ctx) {
    const status = ctx.options.status ?? 502
    // The edge answers 502 in HTML; the API itself answers JSON.
    if (status === 502) {
      return { status, headers: { 'content-type': 'text/html' }, text: '<html><body><h1>502 Bad Gateway</h1>Unicorn!</body></html>' }
    }
    if (status === 503) {
      return { status, body: { code: 'service_unavailable', message: 'Service Unavailable', documentation_url: DOCS } }
    }
    return error(status, 'Server Error')
  },

  notFound: () => error(404, 'Not Found'),

  routes: {
    'GET /user': (ctx) => ({
      status: 200,
      body: {
        login: ctx.options.login ?? 'octocat',
        id: 583231,
        node_id: 'MDQ6VXNlcjU4MzIzMQ==',
        type: 'User',
        site_admin: false,
        name: 'The Octocat',
        html_url: `https://github.com/${ctx.options.login ?? 'octocat'}`,
        created_at: '2011-01-25T18:44:36Z',
        updated_at: iso(ctx.now - DAY)
      }
    }),

    'GET /repos/:owner/:repo': (ctx, { owner = '', repo = '' }) => {
      const denied = hidden(ctx, 'repos/repos#get-a-repository')
      if (denied) return denied
      const priv = isPrivate(ctx)
      return {
        status: 200,
        body: {
          id: 1296269,
          node_id: 'MDEwOlJlcG9zaXRvcnkxMjk2MjY5',
          name: repo,
          full_name: `${owner}/${repo}`,
          owner: { login: owner, id: 583231, type: 'User' },
          private: priv,
          visibility: priv ? 'private' : 'public',
          archived: false,
          disabled: false,
          html_url: `https://github.com/${owner}/${repo}`,
          url: `${API}/repos/${owner}/${repo}`,
          default_branch: branchOf(ctx),
          created_at: '2020-01-01T00:00:00Z',
          updated_at: iso(lastCommitAt(ctx)),
          pushed_at: iso(lastCommitAt(ctx)),
          permissions: { admin: true, maintain: true, push: true, triage: true, pull: true }
        }
      }
    },

    'GET /repos/:owner/:repo/branches/*branch': (ctx, { owner = '', repo = '', branch = '' }) => {
      const denied = hidden(ctx, 'branches/branches#get-a-branch')
      if (denied) return denied
      if (branch !== branchOf(ctx)) return error(404, 'Branch not found', `${DOCS}/branches/branches#get-a-branch`)
      return {
        status: 200,
        body: {
          name: branch,
          commit: commit(owner, repo, lastCommitAt(ctx), 0),
          _links: {
            self: `${API}/repos/${owner}/${repo}/branches/${branch}`,
            html: `https://github.com/${owner}/${repo}/tree/${branch}`
          },
          protected: false,
          protection: { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
          protection_url: `${API}/repos/${owner}/${repo}/branches/${branch}/protection`
        }
      }
    },

    'GET /repos/:owner/:repo/commits': (ctx, { owner = '', repo = '' }) => {
      const docs = `${DOCS}/commits/commits#list-commits`
      const denied = hidden(ctx, 'commits/commits#list-commits')
      if (denied) return denied
      const sha = ctx.query.get('sha')
      if (sha !== null && sha !== branchOf(ctx)) return error(404, `No commit found for SHA: ${sha}`, docs)
      const bound = (name: string) => {
        const value = ctx.query.get(name)
        return value === null ? undefined : Date.parse(value)
      }
      const since = bound('since')
      const until = bound('until')
      if (Number.isNaN(since) || Number.isNaN(until)) return error(400, 'Invalid time value', docs)
      const perPage = intParam(ctx.query.get('per_page'), 30, 1, 100)
      const page = intParam(ctx.query.get('page'), 1, 1, Number.MAX_SAFE_INTEGER)
      const commits = history(ctx, owner, repo).filter((c) => {
        const at = Date.parse(c.commit.committer.date)
        return (since === undefined || at >= since) && (until === undefined || at <= until)
      })
      return { status: 200, body: commits.slice((page - 1) * perPage, page * perPage) }
    },

    'GET /rate_limit': (ctx) => {
      const core = { ...rateResource(ctx), resource: 'core' }
      const other = (resource: string, limit: number) =>
        ({ limit, remaining: limit, used: 0, reset: epochSeconds(ctx.now + HOUR), resource })
      return {
        status: 200,
        body: {
          resources: { core, search: other('search', 30), graphql: other('graphql', 5000) },
          rate: core
        }
      }
    }
  }
}
