import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { context, trace, SpanStatusCode, type Span } from '@opentelemetry/api'
import type { ProviderKey } from '../db/database.js'
import type { Role } from '../schemas/common.js'
import type { StatusEnvelope } from '../schemas/integration-status.js'
import type { ProviderManifest } from '../provider-kit/manifest.js'
import { createProviderRegistry } from './providers.js'
import { createResilience } from './resilience.js'
import { createStatusStore } from './status-store.js'
import { createLinksView, type LinkView } from './links-view.js'
import { buildEnvelope, buildItem, sourceKey, RATE_LIMIT_GRACE_MS, type ItemSource } from './envelope.js'
import { createAggregatorTelemetry } from './telemetry.js'
import { createRefresher } from './refresher.js'
import { createChecker } from './checker.js'
import { LINKS_CHANGED_CHANNEL } from '../repositories/integration-links.js'
import { keepSubscribed } from '../backends/keep-subscribed.js'
import { setBounded } from '../lib/bounded-map.js'
import { levelEnabled } from '../logger.js'

/** Each instance announces here the projects it stored a new check result for. */
export const STATUS_STORED_CHANNEL = 'status-stored'

export interface Caller {
  userId: string
  role: Role
}

type CacheResult = 'hit' | 'stale' | 'miss'

/**
 * How long an envelope stays what the same request would get: `until` on performance.now()
 * (this instance's copies of entries and links), `clockUntil` on the aggregator's clock
 * (freshness and the rate-limit grace, which tests move by hand). 0 = never reuse it.
 */
export interface Validity {
  until: number
  clockUntil: number
}

export interface StatusView extends Validity {
  envelope: StatusEnvelope
}

const ENTRIES_PER_PROJECT = 8
const NEVER: Validity = { until: 0, clockUntil: 0 }

/**
 * The status aggregator: adapters register onto it, and it answers "how is this project doing"
 * for one caller. For each linked integration it serves the cached result when fresh, the stale
 * one while a refresh runs, and otherwise waits for the provider no longer than the deadline.
 */
export function createAggregator (fastify: FastifyInstance, now: () => number) {
  /** Told when a project's status may have changed here: a check result stored, links changed. */
  const changeListeners = new Set<(projectId: string) => void>()
  /** Told of those, and of check results another instance stored. */
  const invalidateListeners = new Set<(projectId: string) => void>()
  const notify = (listeners: Set<(projectId: string) => void>, projectId: string) => {
    for (const listener of listeners) {
      try {
        listener(projectId)
      } catch (error) {
        fastify.log.error({ err: error, projectId }, 'status change listener threw')
      }
    }
  }
  const changed = (projectId: string) => {
    notify(changeListeners, projectId)
    notify(invalidateListeners, projectId)
  }
  /** Tells the other instances which project got a new check result (see storedElsewhere). */
  const instanceTag = randomUUID()
  const { config, db, backends, integrationLinks, metrics, log } = fastify
  const settings = config.status
  const registry = createProviderRegistry(config.environment)
  const adapters = registry.adapters
  const http = fastify.providerHttp
  // Providers register after this runs: a project's entries are bounded by a generous provider count.
  const store = createStatusStore(backends.cache, db, () => backends.connected(), settings.maxProjects * ENTRIES_PER_PROJECT)
  const linksView = createLinksView(db, settings.maxProjects)
  const resilience = createResilience({
    timeoutMs: settings.providerTimeoutMs,
    failures: settings.breakerFailures,
    halfOpenMs: settings.breakerHalfOpenMs,
    onTransition: (transition) => checker.recordTransition(transition)
  })
  const telemetry = createAggregatorTelemetry(metrics.registry, () => resilience.openCounts())
  /**
   * Building an envelope (redaction, canonical JSON, two sha256) is most of a warm request's CPU;
   * the same sources for the same role always give the same envelope, so it is built once.
   */
  const envelopes = new Map<string, StatusEnvelope>()
  const checker = createChecker({ adapters, credentials: integrationLinks, resilience, telemetry, http, db, log, now, ttlMs: settings.ttlMs })

  const refresher = createRefresher({
    store,
    locks: backends.locks,
    locksConnected: () => backends.connected(),
    log,
    now,
    lockTtlMs: settings.providerTimeoutMs + 2_000,
    waitMs: settings.providerTimeoutMs + 1_000,
    check: checker.check,
    onStored: (projectId) => {
      changed(projectId)
      fastify.backends.pubsub.publish(STATUS_STORED_CHANNEL, JSON.stringify([instanceTag, projectId])).catch(() => {})
    }
  })

  async function readEntry (projectId: string, provider: ProviderKey) {
    try {
      return await store.read(projectId, provider)
    } catch (error) {
      // The cache backend is down: PostgreSQL's copy and the providers still answer.
      log.warn({ err: error, projectId, provider }, 'status cache unavailable')
      return undefined
    }
  }

  /** The cache had nothing: a restart or a flush must still serve the last known status. */
  async function readPersisted (projectId: string, link: LinkView) {
    try {
      return await store.readPersisted(projectId, link.provider, link.version)
    } catch (error) {
      log.warn({ err: error, projectId, provider: link.provider }, 'stored status unavailable')
      return undefined
    }
  }

  async function resolveItem (projectId: string, link: LinkView, caller: Caller, deadline: Promise<void>, parent: Span): Promise<ItemSource> {
    const provider = link.provider
    const started = performance.now()
    const span = telemetry.tracer.startSpan('integration_status.adapter', { attributes: { provider, 'project.id': projectId } }, trace.setSpan(context.active(), parent))
    const cached = await readEntry(projectId, provider)
    const fromCache = cached?.linkVersion === link.version
    // PostgreSQL's copy counts as stale even when young: it also refills the cache behind us.
    const current = fromCache ? cached : await readPersisted(projectId, link)
    let result: CacheResult
    let source: ItemSource
    if (current && fromCache && now() < current.freshUntil) {
      result = 'hit'
      source = { kind: 'checked', entry: current, servedStale: false }
    } else if (current) {
      // Stale-while-revalidate: answer now, refresh behind the response.
      result = 'stale'
      source = { kind: 'checked', entry: current, servedStale: true }
      refresher.refresh(projectId, link, caller.userId).catch(() => {})
    } else {
      result = 'miss'
      // A first check that already outlived one response's deadline will outlive this one's too:
      // answer "pending" at once instead of making every caller wait the whole deadline.
      const running = refresher.runningFor(projectId, provider)
      const fresh = running !== undefined && running >= settings.deadlineMs
        ? undefined
        : await Promise.race([refresher.refresh(projectId, link, caller.userId).catch(() => undefined), deadline.then(() => undefined)])
      source = fresh ? { kind: 'checked', entry: fresh, servedStale: false } : { kind: 'pending', at: now() }
    }
    telemetry.cacheLookups.inc({ provider, result })
    if (span.isRecording()) {
      span.setAttributes({ cache_result: result, 'circuit_breaker.state': resilience.state(provider, projectId) })
    }
    span.end()
    // Fresh hits are the common case and carry no news: kept at debug so info logs stay readable
    // (and the line is not even built when debug is off: this is the hot path).
    const level = result === 'hit' ? 'debug' : 'info'
    if (levelEnabled(log.level, level)) {
      const circuitBreakerState = resilience.state(provider, projectId)
      const latencyMs = Math.round(performance.now() - started)
      log[level]({ projectId, userId: caller.userId, provider, latencyMs, cacheHit: result !== 'miss', cacheResult: result, circuitBreakerState }, 'adapter status')
    }
    return source
  }

  /** How long the item built from this source stays the same (see Validity); undefined = as long as the links. */
  function validityOf (projectId: string, provider: ProviderKey, source: ItemSource): Validity | undefined {
    // A pending item is dated now, and a stale one asks for a refresh on every request.
    if (source.kind === 'pending' || (source.kind === 'checked' && source.servedStale)) return NEVER
    if (source.kind !== 'checked') return undefined
    const { freshUntil, failure } = source.entry
    let clockUntil = freshUntil
    // The item turns amber once a rate limit outlasts its grace (see checkedItem in envelope.ts).
    if (failure?.code === 'rate_limited' && now() - failure.since <= RATE_LIMIT_GRACE_MS) clockUntil = Math.min(clockUntil, failure.since + RATE_LIMIT_GRACE_MS + 1)
    // Another instance's newer entry shows here once this instance's copy expires: so does the view.
    return { until: store.copyUntil(projectId, provider), clockUntil }
  }

  /**
   * The envelope one caller may see, within the deadline whatever the providers do, and how long
   * it stays exactly what a new call would return (unless onInvalidate names the project first).
   * The same envelope object may be returned again for the same inputs: treat it as read-only.
   */
  async function view (projectId: string, caller: Caller, requestLog: FastifyBaseLogger = log): Promise<StatusView> {
    const span = telemetry.tracer.startSpan('integration_status.aggregate', { attributes: { 'project.id': projectId, 'caller.role': caller.role } })
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, settings.deadlineMs) })
    try {
      const { since, links } = await linksView.get(projectId)
      const validity: Validity = { until: linksView.copyUntil(projectId), clockUntil: Infinity }
      const keys = registry.keys()
      const sources = await Promise.all(keys.map(async (key): Promise<ItemSource> => {
        const link = links.get(key)
        if (!link) return { kind: 'not_linked', at: since }
        if (!link.enabled) return { kind: 'disabled', at: link.updatedAt }
        if (link.hiddenFromRoles.includes(caller.role)) return { kind: 'hidden', at: link.updatedAt }
        return resolveItem(projectId, link, caller, deadline, span)
      }))
      sources.forEach((source, i) => {
        const item = validityOf(projectId, keys[i]!, source)
        if (item === undefined) return
        validity.until = Math.min(validity.until, item.until)
        validity.clockUntil = Math.min(validity.clockUntil, item.clockUntil)
      })
      const at = now()
      const sourceKeys = sources.map((source) => sourceKey(source, at))
      const memoKey = sourceKeys.every((key) => key !== undefined) ? `${projectId}\0${caller.role}\0${sourceKeys.join('\0')}` : undefined
      let envelope = memoKey === undefined ? undefined : envelopes.get(memoKey)
      if (!envelope) {
        const items = sources.map((source, i) => buildItem(adapters.get(keys[i]!)!, source, caller.role, at))
        envelope = buildEnvelope(projectId, items, keys)
        if (memoKey !== undefined) setBounded(envelopes, memoKey, envelope, settings.maxSnapshots)
      }
      span.setAttributes({ overall: envelope.overall, hash: envelope.hash })
      return { envelope, ...validity }
    } catch (error) {
      span.recordException(error as Error)
      span.setStatus({ code: SpanStatusCode.ERROR })
      requestLog.error({ err: error, projectId }, 'status aggregation failed')
      throw error
    } finally {
      clearTimeout(timer)
      span.end()
    }
  }

  return {
    /** Called by each provider's plugin (adapters/<key>/): validates its environment and builds its adapter. */
    register (manifest: ProviderManifest<any, any>) {
      registry.register(manifest)
    },

    adapter (key: ProviderKey) {
      return adapters.get(key)
    },

    /** The registered providers, in the order every response lists them. */
    providers: registry.list,
    provider: registry.get,
    /** The provider set: the registered manifests' keys, in order. */
    providerKeys: registry.keys,
    isProviderKey: registry.has,

    view,

    /** The aggregator's clock, which Validity.clockUntil is read against. */
    now,

    /** Drops this instance's copy of a project's links (called for changes on any instance). */
    linksChanged (projectId: string) {
      linksView.forget(projectId)
      changed(projectId)
    },

    /** Calls listener with a project id whenever that project's status may have changed here. */
    onChange (listener: (projectId: string) => void) {
      changeListeners.add(listener)
      return () => { changeListeners.delete(listener) }
    },

    /**
     * Calls listener with a project id whenever what this instance would answer for it may have
     * changed: every onChange, and check results other instances stored.
     */
    onInvalidate (listener: (projectId: string) => void) {
      invalidateListeners.add(listener)
      return () => { invalidateListeners.delete(listener) }
    },

    /**
     * A STATUS_STORED_CHANNEL message: another instance stored a check result, so this instance's
     * short copies of the project's entries are dropped rather than lived out (up to 1 s).
     */
    storedElsewhere (message: string) {
      let parsed: unknown
      try {
        parsed = JSON.parse(message)
      } catch {
        return
      }
      if (!Array.isArray(parsed) || parsed[0] === instanceTag || typeof parsed[1] !== 'string') return
      const projectId = parsed[1]
      store.forget(projectId, registry.keys())
      notify(invalidateListeners, projectId)
    },

    /**
     * The envelope each role sees now, from the shared cache (never this instance's short copies)
     * and without starting any check: what the status event publisher compares and stores.
     */
    async snapshot (projectId: string, roles: readonly Role[]) {
      const { since, links } = await linksView.get(projectId, { fresh: true })
      const entries = new Map<ProviderKey, ItemSource>()
      await Promise.all([...links.values()].filter((link) => link.enabled).map(async (link) => {
        const cached = await store.read(projectId, link.provider, { shared: true }).catch(() => undefined)
        const entry = cached?.linkVersion === link.version ? cached : await readPersisted(projectId, link)
        entries.set(link.provider, entry
          ? { kind: 'checked', entry, servedStale: !(cached?.linkVersion === link.version && now() < entry.freshUntil) }
          : { kind: 'pending', at: now() })
      }))
      const at = now()
      const result: Partial<Record<Role, StatusEnvelope>> = {}
      const keys = registry.keys()
      for (const role of roles) {
        const items = keys.map((key) => {
          const link = links.get(key)
          const source: ItemSource = !link
            ? { kind: 'not_linked', at: since }
            : !link.enabled
                ? { kind: 'disabled', at: link.updatedAt }
                : link.hiddenFromRoles.includes(role) ? { kind: 'hidden', at: link.updatedAt } : entries.get(key)!
          return buildItem(adapters.get(key)!, source, role, at)
        })
        result[role] = buildEnvelope(projectId, items, keys)
      }
      return result
    },

    /** Starts a check of every linked integration whose status is no longer fresh (others are skipped). */
    async refreshDue (projectId: string) {
      const { links } = await linksView.get(projectId)
      const targets = [...links.values()].filter((link) => link.enabled)
      await Promise.all(targets.map((link) => refresher.refresh(projectId, link, undefined).catch(() => undefined)))
    },

    /**
     * Checks a project's linked integrations (or one of them) now, ignoring freshness, and stores
     * the results for every instance: sync actions and webhooks use it.
     */
    async refreshProject (projectId: string, { provider, userId }: { provider?: ProviderKey, userId?: string } = {}) {
      const { links } = await linksView.get(projectId, { fresh: true })
      const targets = [...links.values()].filter((link) => link.enabled && (provider === undefined || link.provider === provider))
      await Promise.all(targets.map((link) => refresher.refresh(projectId, link, userId, { force: true }).catch(() => undefined)))
      changed(projectId)
    },

    /** Waits for background refreshes, then releases what adapters hold; the HTTP client is closed by its plugin. */
    async close () {
      await refresher.close()
      await registry.close()
    },

    breakerState: resilience.state
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    aggregator: ReturnType<typeof createAggregator>
  }
}

export interface AggregatorPluginOptions {
  /** The clock for status timestamps and freshness; tests fix it. */
  now?: () => number
}

export default fp<AggregatorPluginOptions>(async function aggregatorPlugin (fastify, { now = Date.now }) {
  const aggregator = createAggregator(fastify, now)
  fastify.decorate('aggregator', aggregator)
  fastify.integrationLinks.useProviders({
    keys: aggregator.providerKeys,
    secretConfig: (key) => aggregator.provider(key)?.manifest.secretConfig ?? []
  })
  fastify.integrationLinks.onChange((projectId) => aggregator.linksChanged(projectId))
  // Link changes from other instances; until the subscription holds, copies of links live out their 5 s.
  keepSubscribed(fastify, LINKS_CHANGED_CHANNEL, (projectId) => aggregator.linksChanged(projectId), 'link changes')
  // Check results from other instances; until the subscription holds, copies of entries live out their 1 s.
  keepSubscribed(fastify, STATUS_STORED_CHANNEL, (message) => aggregator.storedElsewhere(message), 'stored statuses')
  fastify.addHook('onReady', async () => {
    const keys = aggregator.providerKeys()
    if (keys.length === 0) throw new Error('no provider registered: register at least one provider plugin (adapters/)')
    // project_integrations.provider references this table: a provider without its migration line could never be linked.
    let rows
    try {
      rows = await fastify.db.selectFrom('providers').select('key').execute()
    } catch (error) {
      // The database being away at boot is the health checks' business, not a reason to refuse to start.
      fastify.log.warn({ err: error }, 'could not read the providers table; provider keys not checked against it')
      return
    }
    const known = new Set(rows.map((row) => row.key))
    const missing = keys.filter((key) => !known.has(key))
    if (missing.length > 0) throw new Error(`provider ${missing.join(', ')} is registered but not in the providers table: add its migration line (docs/adding-a-provider.md)`)
  })
  fastify.addHook('onClose', async () => { await aggregator.close() })
}, { name: 'aggregator', dependencies: ['config', 'db', 'backends', 'integration-links', 'metrics', 'provider-http'], fastify: '5.x' })
