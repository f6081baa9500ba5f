import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { ActionRow, ProviderKey } from '../db/database.js'
import type { Role } from '../schemas/common.js'
import type { ProviderHttp } from '../provider-kit/http.js'
import { isProviderFailure } from '../provider-kit/failure.js'
import { ActionFailure, type ActionExecutor, type ExecutionContext } from '../provider-kit/executor.js'
import { toAction, type ActionStore } from './action-store.js'
import { faultPoint } from '../lib/fault-points.js'
import { settledWithin } from '../lib/settled-within.js'

export interface RunnerOptions {
  store: ActionStore
  log: FastifyBaseLogger
  http: ProviderHttp
  now: () => number
  executor (provider: ProviderKey, action: string): ActionExecutor | undefined
  /** The link of a project's provider, decrypted; null when not linked. */
  link (projectId: string, provider: ProviderKey): Promise<ExecutionContext['link']>
  services (projectId: string, provider: ProviderKey): Pick<ExecutionContext, 'refreshStatus' | 'unlink' | 'storeLink'>
  /** Params as the executor needs them (sealed secrets opened). */
  unsealParams (projectId: string, provider: ProviderKey, params: Record<string, unknown>): Record<string, unknown>
  pollMs?: number
  /** A worker holds an action this long without news; then another may take it over. */
  leaseMs?: number
  /** An action's run is aborted after this long. */
  runTimeoutMs?: number
  /** Pending actions nobody took (e.g. no host worker) fail after this long. */
  pendingExpiryMs?: number
}

/** A run interrupted this many times is failed rather than tried again. */
const MAX_ATTEMPTS = 3

/**
 * Each instance runs one of these: it claims inline actions from PostgreSQL, runs their executors
 * with a lease it keeps renewing, records every state change and publishes it. An action whose
 * worker died is taken over when its lease runs out: run again if its executor is retryable,
 * failed with a reason if not (a deploy is never sent twice).
 */
export function createRunner ({
  store, log, http, now, executor, link, services, unsealParams,
  pollMs = 250, leaseMs = 30_000, runTimeoutMs = 60_000, pendingExpiryMs = 15 * 60_000
}: RunnerOptions) {
  const worker = `worker-${randomUUID()}`
  const running = new Set<Promise<void>>()
  /** Ids of the actions this runner is executing now. */
  const runningIds = new Set<string>()
  const stop = new AbortController()
  let draining = false
  let timer: NodeJS.Timeout | undefined
  let polling = false
  let sweptAt = -Infinity

  async function finish (id: string, outcome: Parameters<ActionStore['complete']>[2]) {
    // The store writes the change and its event together; nothing to publish here.
    return store.complete(id, worker, outcome)
  }

  async function execute (row: ActionRow) {
    const action = toAction(row)
    const definition = executor(action.provider, action.action)
    if (!definition?.run) {
      await finish(action.id, { status: 'failed', error: { code: 'not_runnable', message: `${action.provider} ${action.action} cannot run here` } })
      return
    }
    if (row.attempts > 1 && !definition.retryable) {
      await finish(action.id, { status: 'failed', error: { code: 'interrupted', message: 'The run was interrupted (its worker stopped) and this action is not safe to repeat; check the provider before retrying' } })
      return
    }
    if (row.attempts > MAX_ATTEMPTS) {
      await finish(action.id, { status: 'failed', error: { code: 'interrupted', message: `Interrupted ${MAX_ATTEMPTS} times; giving up` } })
      return
    }
    const signal = AbortSignal.any([AbortSignal.timeout(runTimeoutMs), stop.signal])
    // Renews the lease while the executor works, so nobody takes over a live run.
    const heartbeat = setInterval(() => {
      store.renew(action.id, worker, leaseMs).catch(() => {})
    }, leaseMs / 3)
    try {
      const linked = await link(action.projectId, action.provider)
      if (definition.needsLink && !linked) throw new ActionFailure('not_linked', `${action.provider} is not linked to this project`)
      const context: ExecutionContext = {
        action: {
          id: action.id,
          projectId: action.projectId,
          provider: action.provider,
          action: action.action,
          params: unsealParams(action.projectId, action.provider, (row.params ?? {}) as Record<string, unknown>),
          userId: row.user_id,
          role: row.role as Role
        },
        link: linked,
        signal,
        http,
        now: now(),
        progress: async (update) => {
          action.progress = update
          await store.progress(action.id, worker, update, leaseMs)
        },
        ...services(action.projectId, action.provider)
      }
      faultPoint('before-executor-run')
      const result = await definition.run(context)
      faultPoint('after-provider-call')
      await finish(action.id, { status: 'succeeded', result })
    } catch (error) {
      // Shutdown cut the run short and handed it back (close()): another instance takes it over
      // (run again when its executor is retryable, else failed as interrupted), as after a crash.
      if (stop.signal.aborted) return
      await finish(action.id, { status: 'failed', error: describeFailure(error, signal) })
      if (!(error instanceof ActionFailure)) log.warn({ err: error, actionId: action.id }, 'action failed')
    } finally {
      clearInterval(heartbeat)
    }
  }

  async function poll () {
    if (polling || draining) return
    polling = true
    try {
      // Real time, not the injectable clock: housekeeping must run even where tests fix the clock.
      if (performance.now() - sweptAt > 60_000) {
        sweptAt = performance.now()
        await store.expirePending(pendingExpiryMs)
        await store.pruneKeys()
      }
      const rows = await store.claim('inline', worker, 4, leaseMs)
      for (const row of rows) {
        runningIds.add(row.id)
        const run = execute(row).catch((error: unknown) => log.error({ err: error, actionId: row.id }, 'action runner failed'))
        running.add(run)
        run.finally(() => { running.delete(run); runningIds.delete(row.id) }).catch(() => {})
      }
    } catch (error) {
      log.warn({ err: error }, 'could not claim actions')
    } finally {
      polling = false
    }
  }

  return {
    worker,
    start () {
      timer = setInterval(() => { poll().catch(() => {}) }, pollMs)
      timer.unref()
    },
    /** Looks for work now (after this instance accepted an action), not at the next tick. */
    nudge () {
      setImmediate(() => { poll().catch(() => {}) })
    },
    /**
     * Claims nothing more; running actions get `graceMs` to finish, then are handed back at once
     * (their lease ended, so another instance takes them over now) and aborted. An executor that
     * does not notice the abort cannot hold shutdown up: a second's wait, then it is left behind
     * (its late outcome is refused, the action being no longer held by this worker).
     */
    async close (graceMs = 0) {
      draining = true
      clearInterval(timer)
      if (running.size > 0 && graceMs > 0) await settledWithin(running, graceMs)
      stop.abort()
      const left = [...runningIds]
      await Promise.all(left.map((id) => store.handBack(id, worker).then(
        () => log.info({ actionId: id }, 'action handed back at shutdown'),
        (error: unknown) => log.warn({ err: error, actionId: id }, 'could not hand an action back; its lease will run out')
      )))
      if (running.size > 0) await settledWithin(running, 1_000)
    }
  }
}

function describeFailure (error: unknown, signal: AbortSignal) {
  if (error instanceof ActionFailure) return { code: error.code, message: error.message }
  if (isProviderFailure(error)) {
    return { code: error.code === 'timeout' ? 'timeout' : 'provider_error', message: `The provider call failed (${error.code})` }
  }
  if (signal.aborted) return { code: 'timeout', message: 'The action ran out of time' }
  // Unexpected errors may carry internals: the client gets a generic reason, the log the rest.
  return { code: 'internal_error', message: 'The action failed unexpectedly' }
}
