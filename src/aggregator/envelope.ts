import { createHash } from 'node:crypto'
import type { Role } from '../schemas/common.js'
import type { IntegrationStatus, StatusEnvelope, StatusValue } from '../schemas/integration-status.js'
import type { ProviderKey } from '../db/database.js'
import type { AdapterDefinition } from '../provider-kit/manifest.js'
import type { ProblemCode } from '../provider-kit/failure.js'
import type { StatusEntry } from './status-store.js'
import { CONNECT, DISCONNECT, RECONNECT, describeActions, seesDetails } from './permissions.js'
import { PROBLEMS } from './problems.js'

/**
 * From what the aggregator knows about each integration to what one caller may see: the plan's
 * business rules (status per case, overall, hashes) and its redaction rules, as pure functions.
 */

export type ItemSource =
  | { kind: 'not_linked', at: number }
  | { kind: 'disabled', at: number }
  | { kind: 'hidden', at: number }
  /** servedStale: past its freshness, or the PostgreSQL copy after a cache loss. */
  | { kind: 'checked', entry: StatusEntry, servedStale: boolean }
  /** A first check still running at the response deadline. */
  | { kind: 'pending', at: number }

type Adapter = Pick<AdapterDefinition, 'key' | 'label' | 'actions'>

/** A rate-limited item keeps its last status this long, then turns amber. */
export const RATE_LIMIT_GRACE_MS = 2 * 60 * 1000

const SEVERITY: Record<StatusValue, number> = { disconnected: 0, connected: 1, warning: 2, error: 3 }
const worst = (a: StatusValue, b: StatusValue) => (SEVERITY[a] >= SEVERITY[b] ? a : b)

const iso = (ms: number) => new Date(ms).toISOString()

function failureHint (code: ProblemCode, label: string, circuitOpen: boolean, hasLastKnown: boolean) {
  const fallback = hasLastKnown ? 'showing the last known status' : 'the status will update when it answers'
  switch (code) {
    case 'oauth_revoked': return `Reconnect ${label} to restore sync`
    case 'rate_limited': return `${label} is rate limiting this connection; checking again after its reset`
    case 'timeout': return `${label} did not answer in time; ${fallback}`
    default: return circuitOpen
      ? `${label} keeps failing; checks pause briefly and ${fallback.replace('showing', 'show')}`
      : `${label} answered with an error; ${fallback}`
  }
}

/** One caller's item: with the provider's display name, and each problem's human title. */
export function buildItem (adapter: Adapter, source: ItemSource, role: Role, now: number): IntegrationStatus {
  const { key, problem, ...rest } = itemFor(adapter, source, role, now)
  const { code, ...details } = problem ?? { code: 'unknown' }
  return { key, ...rest, ...(problem ? { problem: { code, title: PROBLEMS[code].title, ...details } } : {}) }
}

type Untitled = Omit<IntegrationStatus, 'problem'> & { problem?: Omit<NonNullable<IntegrationStatus['problem']>, 'title'> }

function itemFor (adapter: Adapter, source: ItemSource, role: Role, now: number): Untitled {
  const { key, label } = adapter
  switch (source.kind) {
    case 'not_linked':
      return {
        key,
        label,
        configured: false,
        configuredReason: 'not_linked',
        visible: true,
        status: 'disconnected',
        summary: 'Not connected',
        updatedAt: iso(source.at),
        actions: describeActions([CONNECT], role)
      }
    case 'disabled':
      return { key, label, configured: false, configuredReason: 'disabled', visible: true, status: 'disconnected', summary: 'Disabled', updatedAt: iso(source.at) }
    case 'hidden':
      // No summary, problem, environments or actions: nothing about the integration leaks.
      return { key, label, configured: true, configuredReason: 'hidden_by_policy', visible: false, status: 'disconnected', updatedAt: iso(source.at) }
    case 'pending':
      return withViewerRules({
        key,
        label,
        configured: true,
        visible: true,
        status: 'warning',
        summary: `Checking ${label}…`,
        updatedAt: iso(source.at),
        stale: true,
        problem: { code: 'timeout', hint: failureHint('timeout', label, false, false) },
        actions: describeActions(adapter.actions, role)
      }, label, role, undefined)
    case 'checked':
      return checkedItem(adapter, source.entry, source.servedStale, role, now)
  }
}

function checkedItem (adapter: Adapter, entry: StatusEntry, servedStale: boolean, role: Role, now: number): Untitled {
  const { key, label } = adapter
  const { good, failure } = entry
  if (failure?.code === 'oauth_revoked') {
    return withViewerRules({
      key,
      label,
      configured: true,
      configuredReason: 'revoked',
      visible: true,
      status: 'error',
      summary: 'Access revoked',
      updatedAt: iso(failure.since),
      problem: { code: 'oauth_revoked', hint: failureHint('oauth_revoked', label, false, false) },
      actions: describeActions([RECONNECT, DISCONNECT], role)
    }, label, role, undefined)
  }
  if (!good) {
    const code = failure?.code ?? 'unknown'
    return withViewerRules({
      key,
      label,
      configured: true,
      visible: true,
      status: 'warning',
      summary: `${label} status unavailable`,
      updatedAt: iso(failure?.since ?? entry.checkedAt),
      stale: true,
      problem: { code, hint: failureHint(code, label, failure?.circuitOpen ?? false, false), ...retryAfterOf(failure) },
      actions: describeActions(adapter.actions, role)
    }, label, role, undefined)
  }
  const result = good.result
  let status: StatusValue = result.status
  let problem: Untitled['problem'] = result.problem
  if (failure) {
    problem = { code: failure.code, hint: failureHint(failure.code, label, failure.circuitOpen ?? false, true), ...retryAfterOf(failure) }
    if (failure.code === 'rate_limited' && now - failure.since > RATE_LIMIT_GRACE_MS) status = worst(status, 'warning')
  }
  const actions = result.suggestReconnect ? [RECONNECT, ...adapter.actions] : adapter.actions
  const item: Untitled = {
    key,
    label,
    configured: true,
    visible: true,
    status,
    summary: result.summary,
    updatedAt: iso(good.at),
    ...(servedStale || failure ? { stale: true } : {}),
    ...(problem ? { problem } : {}),
    actions: describeActions(actions, role),
    ...(result.environments ? { environments: result.environments.map((e) => ({ ...e })) } : {})
  }
  return withViewerRules(item, label, role, failure ? undefined : result.viewer)
}

function retryAfterOf (failure: StatusEntry['failure']) {
  return failure?.code === 'rate_limited' && failure.retryAfter !== undefined ? { retryAfter: failure.retryAfter } : {}
}

/** Viewers get the adapter's viewer-safe wording, generic hints and no URLs. */
function withViewerRules (item: Untitled, label: string, role: Role, viewer: { summary?: string, hint?: string } | undefined) {
  if (seesDetails(role)) return item
  if (viewer?.summary !== undefined) item.summary = viewer.summary
  if (item.problem) item.problem = { ...item.problem, hint: viewer?.hint ?? PROBLEMS[item.problem.code].viewerHint(label) }
  if (item.environments) item.environments = item.environments.map(({ url: _url, ...rest }) => rest)
  return item
}

/**
 * What makes an item's rendering unique, for remembering whole envelopes: the entry's id (new for
 * every check), how it is served, and which side of the rate-limit grace it is on. undefined for
 * items that change by the moment (a pending check) or entries from before ids existed.
 */
export function sourceKey (source: ItemSource, now: number): string | undefined {
  switch (source.kind) {
    case 'pending':
      return undefined
    case 'checked': {
      const { entry, servedStale } = source
      if (entry.id === undefined) return undefined
      const late = entry.failure?.code === 'rate_limited' && now - entry.failure.since > RATE_LIMIT_GRACE_MS
      return `${entry.id}${servedStale ? '+stale' : ''}${late ? '+late' : ''}`
    }
    default:
      return `${source.kind}@${source.at}`
  }
}

/** Worst of the configured, visible items; unconfigured ones never degrade it; none → disconnected. */
export function overallOf (items: IntegrationStatus[]): StatusValue {
  let overall: StatusValue = 'disconnected'
  for (const item of items) {
    if (item.configured && item.visible) overall = worst(overall, item.status)
  }
  return overall
}

export function buildEnvelope (projectId: string, items: IntegrationStatus[], order: readonly ProviderKey[]): StatusEnvelope {
  const sorted = [...items].sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key))
  return {
    projectId,
    items: sorted,
    hash: digest(sorted.map(({ updatedAt: _u, stale: _s, ...rest }) => rest)),
    renderHash: digest(sorted),
    overall: overallOf(sorted)
  }
}

/** sha256 of canonical JSON (keys sorted at every level), so key order never changes a hash. */
function digest (value: unknown) {
  return createHash('sha256').update(canonical(value)).digest('hex').slice(0, 16)
}

export function canonical (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
