import { createHash, randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import { Gauge } from 'prom-client'
import type { FastifyInstance } from 'fastify'
import type { ProviderKey } from '../db/database.js'
import { AppError } from '../errors.js'
import { canonical } from '../aggregator/envelope.js'
import { CONNECT, RECONNECT, permission } from '../aggregator/permissions.js'
import { createActionStore } from './action-store.js'
import { createRunner } from './runner.js'
import type { ActionExecutor, ActionRecordView } from '../provider-kit/executor.js'

/** Host workers hold a claimed action this long between progress reports. */
export const HOST_LEASE_MS = 5 * 60_000
const HOST_MAX_ATTEMPTS = 3

/** An action as a caller asks for it: the record's fields before it has an id, plus the key. */
export interface ActionRequest extends Omit<ActionRecordView, 'id'> {
  idempotencyKey: string
}

/** A request that passed the checks, with what they established; claim and accept take it. */
export interface PreparedAction extends ActionRequest {
  mode: ActionExecutor['mode']
  fingerprint: string
}

/**
 * Quick actions: permission and params checks that match the status's actions[].can, the
 * idempotent accept, the host queue, and this instance's runner. `fastify.actions`.
 */
export function createActions (fastify: FastifyInstance, now: () => number) {
  const { aggregator, integrationLinks, events, log } = fastify
  // Every change is written with its event; the store announces it to the streams.
  const store = createActionStore(fastify.db, { log: events.log, announce: events.announce })

  const connectExecutors = new Map(aggregator.providerKeys().map((key) => [key, fastify.oauth.executorsFor(key)]))
  function executor (provider: ProviderKey, action: string): ActionExecutor | undefined {
    return connectExecutors.get(provider)?.find((e) => e.id === action) ??
      aggregator.adapter(provider)?.executors?.find((e) => e.id === action)
  }

  // A token in params (a connect without OAuth) is sealed before it is stored and shown as "***".
  const sealAad = (projectId: string, provider: ProviderKey) => `${projectId}/${provider}/action`
  function sealParams (projectId: string, provider: ProviderKey, params: Record<string, unknown>) {
    if (typeof params.token !== 'string') return params
    return { ...params, token: { sealed: fastify.credentials.encrypt({ token: params.token }, sealAad(projectId, provider)) } }
  }
  function unsealParams (projectId: string, provider: ProviderKey, params: Record<string, unknown>) {
    const sealed = (params.token as { sealed?: unknown } | undefined)?.sealed
    if (typeof sealed !== 'string') return params
    return { ...params, token: fastify.credentials.decrypt<{ token: string }>(sealed, sealAad(projectId, provider)).token }
  }

  const runner = createRunner({
    store,
    log,
    http: fastify.providerHttp,
    now,
    leaseMs: fastify.config.actionLeaseMs,
    executor,
    unsealParams,
    async link (projectId, provider) {
      const link = (await integrationLinks.list(projectId)).find((l) => l.key === provider)
      const credentials = link ? await integrationLinks.credentials(projectId, provider) : null
      return link && credentials ? { config: link.config as Record<string, unknown>, credentials } : null
    },
    services: (projectId, provider) => ({
      refreshStatus: () => aggregator.refreshProject(projectId, { provider }),
      unlink: async () => { await integrationLinks.remove(projectId, provider) },
      storeLink: async (config, credentials) => { await integrationLinks.put(projectId, provider, config, credentials.token) }
    })
  })

  /** The same answer the status gives in actions[].can, or the error that refuses the request. */
  function authorize ({ provider, action, params, role }: Pick<ActionRequest, 'provider' | 'action' | 'params' | 'role'>) {
    const adapter = aggregator.adapter(provider)!
    const definition = [...adapter.actions, CONNECT, RECONNECT].find((a) => a.id === action)
    if (!definition) throw new AppError('UNKNOWN_ACTION', `${adapter.label} has no action "${action}"; see actions[] in the status`)
    const allowed = permission(role, definition.capability)
    if (!allowed.can) throw new AppError('ACTION_FORBIDDEN', allowed.reason)
    const run = executor(provider, action)
    if (!run) {
      const hint = action === 'connect' || action === 'reconnect'
        ? `: ${adapter.label} OAuth is not configured (${provider.toUpperCase()}_OAUTH_CLIENT_ID and _CLIENT_SECRET); link with a token through PUT /api/projects/{projectId}/integrations/${provider}`
        : ''
      throw new AppError('ACTION_NOT_AVAILABLE', `${adapter.label} ${action} is not available through this service${hint}`)
    }
    const verdict = run.check?.(params, role)
    if (typeof verdict === 'string') throw new AppError('INVALID_ACTION_PARAMS', verdict)
    if (verdict) throw new AppError('ACTION_FORBIDDEN', verdict.forbidden)
    return run
  }

  /** What makes two requests "the same" for one Idempotency-Key. */
  const fingerprintOf = ({ projectId, provider, action, params }: Pick<ActionRequest, 'projectId' | 'provider' | 'action' | 'params'>) =>
    createHash('sha256').update(canonical({ projectId, provider, action, params })).digest('hex')

  return {
    fingerprintOf,

    /** Checks the request once (matrix, catalog, params) and notes how it will run. Throws the refusal. */
    prepare (request: ActionRequest): PreparedAction {
      return { ...request, mode: authorize(request).mode, fingerprint: fingerprintOf(request) }
    },

    /**
     * Step one, before the rate limit: takes the Idempotency-Key for IDEMPOTENCY_LEASE_MS (or
     * finds the action an earlier request with it created). The holder names this instance's
     * runner and the request, so an operator can tell whose claim a key row is.
     */
    claim: (action: PreparedAction) => store.claimKey(action.projectId, action.userId, action.idempotencyKey, action.fingerprint,
      `${runner.worker}/${randomUUID()}`, fastify.config.idempotencyLeaseMs),

    /** Gives a claimed key back when the request is refused after all (rate limit, error), if it still holds it. */
    release: (action: PreparedAction, holder: string) => store.release(action.projectId, action.userId, action.idempotencyKey, holder),

    /**
     * Step two: stores the action (before the 202 is sent) and wakes a worker; or, when this
     * request's claim was taken over meanwhile, the answer a retry gets (the replay, or 409).
     */
    async accept (prepared: PreparedAction, holder: string) {
      const params = sealParams(prepared.projectId, prepared.provider, prepared.params)
      const stored = await store.create({ ...prepared, params }, holder)
      if (stored.kind === 'created' && prepared.mode === 'inline') runner.nudge()
      return stored
    },

    get: store.get,
    list: store.list,

    /** The host workspace's worker: claim, report progress, finish. */
    host: {
      async claim (worker: string, limit: number) {
        const rows = await store.claim('host', worker, limit, HOST_LEASE_MS)
        const claimed = []
        for (const row of rows) {
          // Handed out this many times without an outcome: the host cannot finish it.
          if (row.attempts > HOST_MAX_ATTEMPTS) {
            await store.complete(row.id, worker, { status: 'failed', error: { code: 'host_unfinished', message: `The host worker took this action ${HOST_MAX_ATTEMPTS} times without finishing it` } })
            continue
          }
          claimed.push({ ...store.toAction(row), userId: row.user_id })
        }
        return claimed
      },
      async progress (id: string, worker: string, progress: Record<string, unknown>) {
        const action = await store.progress(id, worker, progress, HOST_LEASE_MS)
        if (!action) throw new AppError('ACTION_NOT_CLAIMED')
        return action
      },
      async complete (id: string, worker: string, outcome: Parameters<typeof store.complete>[2]) {
        const action = await store.complete(id, worker, outcome)
        if (!action) throw new AppError('ACTION_NOT_CLAIMED')
        return action
      }
    },

    /** This instance's runner, as `claimed_by` names it. */
    worker: runner.worker,
    start: runner.start,
    close: runner.close,
    backlog: store.backlog
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    actions: ReturnType<typeof createActions>
  }
}

export default fp<{ now?: () => number }>(async function actionsPlugin (fastify, { now = Date.now }) {
  const actions = createActions(fastify, now)
  fastify.decorate('actions', actions)
  let backlog = 0
  // eslint-disable-next-line no-new
  new Gauge({
    name: 'actions_pending',
    help: 'Actions pending or running, across all instances (read from PostgreSQL at scrape)',
    registers: [fastify.metrics.registry],
    async collect () {
      // PostgreSQL down: the last value stays, the scrape still answers.
      backlog = await actions.backlog().catch(() => backlog)
      this.set(backlog)
    }
  })
  fastify.addHook('onReady', async () => { actions.start() })
  // Running actions get the shutdown timeout to finish before they are handed back.
  fastify.addHook('onClose', async () => { await actions.close(fastify.config.shutdown.timeoutMs) })
}, { name: 'actions', dependencies: ['db', 'backends', 'credentials', 'aggregator', 'events', 'integration-links', 'oauth', 'provider-http', 'metrics'], fastify: '5.x' })
