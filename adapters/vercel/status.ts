import type { Static } from '@sinclair/typebox'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { ActionDefinition, AdapterDefinition, CheckEnvironment, CheckResult, CheckStatus } from '../../src/provider-kit/manifest.js'
import type { ProviderResponse } from '../../src/provider-kit/http.js'
import { plural, startOfUtcWeek } from '../../src/provider-kit/format.js'
import type { VercelLinkConfig as VercelLinkConfigSchema } from './config.js'
import { isRecord, noAccess, projectNotFound, throwOnFailedCalls } from './failures.js'
import { createVercelExecutors } from './actions.js'

export type VercelConfig = Static<typeof VercelLinkConfigSchema>

/** Versioned in the path; v6 is the documented list endpoint and the one the CLI calls. */
export const VERCEL_DEPLOYMENTS_PATH = '/v6/deployments'
const WEEK_PAGE_SIZE = 100
const MAX_WEEK_PAGES = 5
const RECENT_LIMIT = 20

interface Deployment { url: string, createdAt: number, state: string, target: string | null }
interface Page { deployments: Deployment[], next: number | null }
type Environment = CheckEnvironment & { status: CheckStatus, summary: string }

const unexpected = () => new ProviderFailure('unknown', 'unexpected Vercel deployments body')

function readDeployment (item: unknown): Deployment {
  if (!isRecord(item)) throw unexpected()
  const createdAt = item.createdAt ?? item.created
  const state = item.readyState ?? item.state
  const target = item.target ?? null
  if (typeof item.url !== 'string' || typeof createdAt !== 'number' || typeof state !== 'string' ||
    (target !== null && typeof target !== 'string')) throw unexpected()
  return { url: item.url, createdAt, state, target }
}

function readPage (res: ProviderResponse): Page {
  const body = res.body
  if (res.status !== 200 || !isRecord(body) || !Array.isArray(body.deployments)) throw unexpected()
  const next = isRecord(body.pagination) ? body.pagination.next ?? null : null
  if (next !== null && typeof next !== 'number') throw unexpected()
  return { deployments: body.deployments.map(readDeployment), next }
}

const latest = (deployments: Deployment[], match: (d: Deployment) => boolean) =>
  deployments.filter(match).sort((a, b) => b.createdAt - a.createdAt)[0]

function describe (state: string, name: 'production' | 'preview'): Pick<Environment, 'status' | 'summary'> {
  switch (state) {
    case 'READY': return { status: 'connected', summary: name === 'production' ? 'Live' : 'Ready' }
    case 'ERROR': return { status: 'error', summary: 'Build failed' }
    case 'BUILDING': case 'INITIALIZING': case 'QUEUED': return { status: 'connected', summary: 'Building' }
    case 'CANCELED': return { status: 'warning', summary: 'Canceled' }
    case 'BLOCKED': return { status: 'warning', summary: 'Blocked' }
    default: return { status: 'warning', summary: state === 'DELETED' ? 'Deleted' : 'Unknown state' }
  }
}

const environment = (name: 'production' | 'preview', d: Deployment): Environment =>
  ({ name, ...describe(d.state, name), url: `https://${d.url}`, lastDeployAt: new Date(d.createdAt).toISOString() })

/** The action catalog, in display order; connect and reconnect are core's. */
export const VERCEL_ACTIONS: readonly ActionDefinition[] = [
  { id: 'deploy', label: 'Deploy', capability: 'deploy' },
  { id: 'link', label: 'Link project', capability: 'configure' },
  { id: 'disconnect', label: 'Disconnect', capability: 'connect' }
]

export function createVercelAdapter ({ apiUrl }: { apiUrl: string }): AdapterDefinition<VercelConfig> {
  return {
    key: 'vercel',
    label: 'Vercel',
    actions: VERCEL_ACTIONS,
    executors: createVercelExecutors({ apiUrl }),

    async check (ctx): Promise<CheckResult> {
      const { projectId, teamId } = ctx.config
      const headers = { authorization: `Bearer ${ctx.credentials.token}` }
      const list = (params: Record<string, string>) => {
        const url = new URL(`${apiUrl}${VERCEL_DEPLOYMENTS_PATH}`)
        url.search = new URLSearchParams({ projectId, ...params, ...(teamId ? { teamId } : {}) }).toString()
        return ctx.http.getJson(url, { headers, signal: ctx.signal })
      }
      const follow = async (params: Record<string, string>) => {
        const res = await list(params)
        throwOnFailedCalls([res], ctx.now)
        return readPage(res)
      }

      const since = String(startOfUtcWeek(ctx.now))
      const [firstWeek, recentRes] = await Promise.all([
        list({ since, limit: String(WEEK_PAGE_SIZE) }),
        list({ limit: String(RECENT_LIMIT) })
      ])
      throwOnFailedCalls([firstWeek, recentRes], ctx.now)
      if ([firstWeek, recentRes].some((r) => r.status === 403)) return noAccess(ctx.config)
      if ([firstWeek, recentRes].some((r) => r.status === 404)) return projectNotFound()

      let page = readPage(firstWeek)
      let count = page.deployments.length
      for (let pages = 1; page.next !== null && pages < MAX_WEEK_PAGES; pages++) {
        page = await follow({ since, limit: String(WEEK_PAGE_SIZE), until: String(page.next) })
        count += page.deployments.length
      }
      const weekly = page.next === null ? `${plural(count, 'deployment')} this week` : `${count}+ deployments this week`

      const recent = readPage(recentRes).deployments
      const preview = latest(recent, (d) => d.target === null)
      let production = latest(recent, (d) => d.target === 'production')
      // A burst of previews can push the last production deployment out of the recent page.
      if (!production && recent.length >= RECENT_LIMIT) {
        production = (await follow({ target: 'production', limit: '1' })).deployments[0]
      }

      const environments = [
        ...(preview ? [environment('preview', preview)] : []),
        ...(production ? [environment('production', production)] : [])
      ]
      const prod = environments.find((e) => e.name === 'production')
      const previewOk = environments.find((e) => e.name === 'preview')?.status === 'connected'
      if (!prod) {
        if (recent.length === 0) return { status: 'warning', summary: 'No deployments yet' }
        return { status: 'warning', summary: 'No production deployment yet', environments }
      }
      if (prod.status === 'error') {
        return previewOk
          ? { status: 'warning', summary: 'Preview ok · Prod failing', environments }
          : { status: 'error', summary: 'Prod failing', environments }
      }
      return { status: prod.status, summary: `${weekly} · ${prod.summary}`, environments }
    }
  }
}
