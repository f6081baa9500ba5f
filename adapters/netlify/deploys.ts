import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { ProviderResponse } from '../../src/provider-kit/http.js'
import { isRecord } from './failures.js'

/**
 * Netlify's `deploy` and `site` models (N-OAS `definitions.deploy`, `definitions.site`), read
 * defensively: only the fields the status check and the actions use, checked for their types.
 */

export const sitePath = (siteId: string) => `/sites/${encodeURIComponent(siteId)}`
export const deploysPath = (siteId: string) => `${sitePath(siteId)}/deploys`
export const buildsPath = (siteId: string) => `${sitePath(siteId)}/builds`
export const restorePath = (siteId: string, deployId: string) => `${deploysPath(siteId)}/${encodeURIComponent(deployId)}/restore`

/**
 * N-OAS lists these deploy states (the `state` filter of listSiteDeploys). `ready` is live,
 * `error` failed, `rejected` an untrusted deploy request someone refused; the rest are on their way.
 */
export const IN_PROGRESS_STATES = new Set([
  'new', 'pending_review', 'accepted', 'enqueued', 'building', 'uploading', 'uploaded',
  'preparing', 'prepared', 'processing', 'processed', 'retrying'
])

export type DeployContext = 'production' | 'deploy-preview' | 'branch-deploy' | string

export interface Deploy {
  id: string
  state: string
  context: DeployContext | undefined
  branch: string | undefined
  createdAt: number
  publishedAt: number | undefined
  url: string | undefined
  skipped: boolean
}

export interface Site {
  id: string
  name: string | undefined
  url: string | undefined
  productionBranch: string | undefined
  published: Deploy | undefined
}

const unexpected = (what: string) => new ProviderFailure('unknown', `unexpected Netlify ${what} body`)

const optionalString = (value: unknown) => typeof value === 'string' && value !== '' ? value : undefined

function time (value: unknown) {
  if (typeof value !== 'string') return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

export function readDeploy (item: unknown): Deploy {
  if (!isRecord(item)) throw unexpected('deploy')
  const createdAt = time(item.created_at)
  if (typeof item.id !== 'string' || typeof item.state !== 'string' || createdAt === undefined) throw unexpected('deploy')
  return {
    id: item.id,
    state: item.state,
    context: optionalString(item.context),
    branch: optionalString(item.branch),
    createdAt,
    publishedAt: time(item.published_at),
    url: optionalString(item.deploy_ssl_url) ?? optionalString(item.deploy_url),
    skipped: item.skipped === true
  }
}

/** listSiteDeploys answers a bare array, newest first. */
export function readDeployList (res: ProviderResponse): Deploy[] {
  if (res.status !== 200 || !Array.isArray(res.body)) throw unexpected('deploys')
  return res.body.map(readDeploy)
}

export function readSite (res: ProviderResponse): Site {
  const body = res.body
  if (res.status !== 200 || !isRecord(body) || typeof body.id !== 'string') throw unexpected('site')
  const settings = isRecord(body.build_settings) ? body.build_settings : {}
  return {
    id: body.id,
    name: optionalString(body.name),
    url: optionalString(body.ssl_url) ?? optionalString(body.url),
    productionBranch: optionalString(settings.repo_branch),
    // null when nothing was ever published.
    published: isRecord(body.published_deploy) ? readDeploy(body.published_deploy) : undefined
  }
}

export const isProduction = (d: Deploy) => d.context === 'production'
export const isPreview = (d: Deploy) => d.context === 'deploy-preview' || d.context === 'branch-deploy'

/** The newest deploy that matches; skipped deploys (a build that was ignored) say nothing about the site. */
export const newest = (deploys: Deploy[], match: (d: Deploy) => boolean) =>
  deploys.filter((d) => !d.skipped && match(d)).sort((a, b) => b.createdAt - a.createdAt)[0]
