import type { Static } from '@sinclair/typebox'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { ActionDefinition, AdapterDefinition, CheckContext, CheckResult } from '../../src/provider-kit/manifest.js'
import { parseRetryAfter, type ProviderResponse } from '../../src/provider-kit/http.js'
import { plural, startOfUtcDay } from '../../src/provider-kit/format.js'
import type { SanityLinkConfig as SanityLinkConfigSchema } from './config.js'
import { createSanityExecutors } from './actions.js'

export type SanityLinkConfig = Static<typeof SanityLinkConfigSchema>

/** Data API version: current docs default; its default perspective is `published`. */
export const SANITY_DATA_API_VERSION = 'v2025-02-19'
/** Hooks API version: the one the docs describe and the Sanity CLI still pins. */
export const SANITY_HOOKS_API_VERSION = 'v2021-10-04'
export const SANITY_COUNT_QUERY = 'count(*[_updatedAt >= $since])'

const DEFAULT_RETRY_AFTER = 60
const WEBHOOK_HINT = 'Enable the Sanity webhook for this dataset so content changes sync live'
const MISSING_WEBHOOK_HINT = 'Add a Sanity webhook for this dataset so content changes sync live'
const PERMISSION_HINT = 'The Sanity token cannot read webhooks: reconnect with a token that has permission to read the project\'s webhooks'

interface Hook {
  dataset?: unknown
  isDisabled?: unknown
  deletedAt?: unknown
}

/** The action catalog, in display order; connect and reconnect are core's. */
export const SANITY_ACTIONS: readonly ActionDefinition[] = [
  { id: 'sync', label: 'Sync content', capability: 'content_sync' },
  { id: 'open-studio', label: 'Open Studio', capability: 'configure' },
  { id: 'disconnect', label: 'Disconnect', capability: 'connect' }
]

export function createSanityAdapter ({ apiUrl, managementApiUrl }: { apiUrl: string, managementApiUrl: string }): AdapterDefinition<SanityLinkConfig> {
  async function check ({ config, credentials, signal, now, http }: CheckContext<SanityLinkConfig>): Promise<CheckResult> {
    const headers = { authorization: `Bearer ${credentials.token}` }
    const projectId = encodeURIComponent(config.projectId)
    const params = new URLSearchParams({
      query: SANITY_COUNT_QUERY,
      $since: JSON.stringify(new Date(startOfUtcDay(now)).toISOString()),
      // Studio edits land in drafts first; `published` (the v2025-02-19 default) would hide today's work.
      perspective: 'raw'
    })
    const [query, hooks] = await Promise.all([
      http.getJson(`${apiUrl.replace('{projectId}', projectId)}/${SANITY_DATA_API_VERSION}/data/query/${encodeURIComponent(config.dataset)}?${params}`, { headers, signal }),
      http.getJson(`${managementApiUrl}/${SANITY_HOOKS_API_VERSION}/hooks/projects/${projectId}`, { headers, signal })
    ])

    if (query.status === 401 || hooks.status === 401) throw new ProviderFailure('oauth_revoked', 'Sanity rejected the token (401)', { status: 401 })
    if (query.status === 429 || hooks.status === 429) {
      throw new ProviderFailure('rate_limited', 'Sanity rate limit (429)', { status: 429, retryAfter: Math.max(retryAfter(query, now), retryAfter(hooks, now)) })
    }
    const count = documentCount(query)
    const docs = `${plural(count, 'doc')} updated today`

    if (hooks.status === 403) {
      return { status: 'warning', summary: `${docs} · Webhook not readable`, problem: { code: 'missing_permissions', hint: PERMISSION_HINT }, suggestReconnect: true }
    }
    if (!isOk(hooks)) throw new ProviderFailure('unknown', `Sanity hooks API answered ${hooks.status}`, { status: hooks.status })
    if (!Array.isArray(hooks.body)) throw new ProviderFailure('unknown', 'Sanity hooks API did not answer a list')

    const relevant = (hooks.body as unknown[]).filter((hook): hook is Hook =>
      typeof hook === 'object' && hook !== null && ((hook as Hook).dataset === '*' || (hook as Hook).dataset === config.dataset))
    // Deleted hooks linger in the list; for the user they are simply gone.
    const existing = relevant.filter((hook) => hook.deletedAt == null)
    if (existing.some((hook) => hook.isDisabled === false)) return { status: 'connected', summary: `${docs} · Live sync` }
    return {
      status: 'warning',
      summary: `${docs} · ${existing.length > 0 ? 'Webhook disabled' : 'No webhook'}`,
      problem: existing.length > 0 ? { code: 'webhook_disabled', hint: WEBHOOK_HINT } : { code: 'webhook_missing', hint: MISSING_WEBHOOK_HINT }
    }
  }

  return {
    key: 'sanity',
    label: 'Sanity',
    check,
    actions: SANITY_ACTIONS,
    executors: createSanityExecutors({ managementApiUrl })
  }
}

const isOk = (response: ProviderResponse) => response.status >= 200 && response.status < 300

function documentCount (query: ProviderResponse) {
  // A query error (400) means our GROQ or params are wrong, not the user's setup.
  if (!isOk(query)) throw new ProviderFailure('unknown', `Sanity query API answered ${query.status}`, { status: query.status })
  const result = (query.body as { result?: unknown } | undefined)?.result
  if (typeof result !== 'number' || !Number.isInteger(result) || result < 0) {
    throw new ProviderFailure('unknown', 'Sanity query API answered without a count')
  }
  return result
}

function retryAfter (response: ProviderResponse, now: number) {
  if (response.status !== 429) return 0
  const reset = response.headers['ratelimit-reset']?.trim()
  const seconds = parseRetryAfter(response.headers['retry-after'], now) ??
    (reset !== undefined && /^\d+$/.test(reset) ? Number(reset) : undefined)
  return Math.max(1, seconds ?? DEFAULT_RETRY_AFTER)
}
