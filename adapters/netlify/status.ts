import type { AdapterDefinition, CheckEnvironment, CheckResult, CheckStatus } from '../../src/provider-kit/manifest.js'
import { timeAgo } from '../../src/provider-kit/format.js'
import { NETLIFY_KEY, NETLIFY_LABEL, type NetlifyConfig } from './config.js'
import { throwOnFailedCalls } from './failures.js'
import { IN_PROGRESS_STATES, deploysPath, isPreview, isProduction, newest, readDeployList, readSite, sitePath, type Deploy } from './deploys.js'
import { NETLIFY_ACTIONS, createNetlifyExecutors } from './actions.js'

/** Deploys read per check: enough for the latest production and preview deploys in most sites. */
export const RECENT_DEPLOYS = 20

type Environment = CheckEnvironment & { status: CheckStatus, summary: string }

function describe (state: string, name: 'production' | 'preview'): Pick<Environment, 'status' | 'summary'> {
  if (state === 'ready') return { status: 'connected', summary: name === 'production' ? 'Live' : 'Ready' }
  if (state === 'error') return { status: 'error', summary: 'Build failed' }
  // An untrusted deploy waiting for someone's approval is on its way, not broken.
  if (state === 'pending_review') return { status: 'connected', summary: 'Awaiting approval' }
  if (IN_PROGRESS_STATES.has(state)) return { status: 'connected', summary: 'Building' }
  if (state === 'rejected') return { status: 'warning', summary: 'Deploy request rejected' }
  return { status: 'warning', summary: 'Unknown state' }
}

const environment = (name: 'production' | 'preview', d: Deploy, url: string | undefined): Environment => ({
  name,
  ...describe(d.state, name),
  ...(url ? { url } : {}),
  lastDeployAt: new Date(d.createdAt).toISOString()
})

/** 404: the site was deleted, or the token no longer sees it (Netlify answers both with 404). */
function siteNotFound (siteId: string): CheckResult {
  return {
    status: 'error',
    summary: 'Site not found',
    problem: { code: 'not_found', hint: `Netlify has no site ${siteId} for this token: link the site again (or reconnect with a token that can see it)` },
    viewer: { hint: 'Link the Netlify site again' },
    suggestReconnect: true
  }
}

/**
 * Netlify's status: the site (`published_deploy`, the deploy now live) and its recent deploys.
 * Production is the newest production deploy; preview the newest deploy preview or branch deploy.
 * A failed production deploy while an older one is still published is a warning; a site that
 * never had a successful deploy is an error; deploys on their way are never errors.
 */
export function createNetlifyAdapter ({ apiUrl }: { apiUrl: string }): AdapterDefinition<NetlifyConfig> {
  return {
    key: NETLIFY_KEY,
    label: NETLIFY_LABEL,
    actions: NETLIFY_ACTIONS,
    executors: createNetlifyExecutors({ apiUrl }),

    async check (ctx): Promise<CheckResult> {
      const { siteId } = ctx.config
      const headers = { authorization: `Bearer ${ctx.credentials.token}` }
      const get = (path: string, query: Record<string, string> = {}) => {
        const url = new URL(`${apiUrl}${path}`)
        url.search = new URLSearchParams(query).toString()
        return ctx.http.getJson(url, { headers, signal: ctx.signal })
      }

      const [siteRes, recentRes] = await Promise.all([get(sitePath(siteId)), get(deploysPath(siteId), { per_page: String(RECENT_DEPLOYS) })])
      throwOnFailedCalls([siteRes, recentRes], ctx.now)
      if (siteRes.status === 404 || recentRes.status === 404) return siteNotFound(siteId)

      const site = readSite(siteRes)
      const recent = readDeployList(recentRes)
      let production = newest(recent, isProduction)
      // A burst of previews can push the last production deploy out of the recent page.
      if (!production && recent.length >= RECENT_DEPLOYS) {
        const res = await get(deploysPath(siteId), { production: 'true', per_page: '1' })
        throwOnFailedCalls([res], ctx.now)
        if (res.status === 404) return siteNotFound(siteId)
        production = newest(readDeployList(res), isProduction)
      }
      const preview = newest(recent, isPreview)

      const environments = [
        ...(preview ? [environment('preview', preview, preview.url)] : []),
        ...(production ? [environment('production', production, site.published ? site.url : production.url)] : [])
      ]
      const prod = environments.find((e) => e.name === 'production')
      const live = site.published

      if (!live) {
        if (production && IN_PROGRESS_STATES.has(production.state)) {
          return { status: 'warning', summary: 'First deploy building', environments }
        }
        if (environments.length === 0) return { status: 'error', summary: 'No deploys yet' }
        return { status: 'error', summary: 'No successful deploy yet', environments }
      }
      const deployed = `Live · deployed ${timeAgo(live.publishedAt ?? live.createdAt, ctx.now)}`
      if (!production || !prod || production.state === 'ready') return { status: 'connected', summary: deployed, environments }
      if (prod.status === 'error') return { status: 'warning', summary: 'Prod deploy failed · previous still live', environments }
      return { status: prod.status, summary: `${deployed} · ${prod.summary}`, environments }
    }
  }
}
