import type { Test } from 'tap'
import { startSimulator, type Simulator } from '../simulator/simulator.js'
import { createProviderHttp, type ProviderHttp } from '../../src/provider-kit/http.js'
import { ActionFailure } from '../../src/provider-kit/executor.js'
import type { ActionExecutor, ExecutionContext } from '../../src/provider-kit/executor.js'
import type { ProviderKey } from '../../src/db/database.js'
import type { Role } from '../../src/schemas/common.js'
import type { StoredCredentials } from '../../src/repositories/integration-links.js'
import { FIXED_NOW } from './harness.js'

/**
 * Runs one action executor against the provider simulator over real HTTP, outside the action
 * service: a hand-built ExecutionContext whose progress / refreshStatus / unlink / storeLink
 * only record what the executor asked for.
 */
export interface Recorded {
  progress: Record<string, unknown>[]
  refreshes: number
  unlinks: number
  stored: { config: Record<string, unknown>, credentials: { token: string } }[]
}

export interface RunOptions {
  params?: Record<string, unknown>
  role?: Role
  link?: { config: Record<string, unknown>, credentials: StoredCredentials } | null
  timeoutMs?: number
  /** Replaces the recorder's refreshStatus (e.g. to make it fail). */
  refreshStatus?: () => Promise<void>
  /** Wraps the real client, e.g. to send one call with another token. */
  http?: (real: ProviderHttp) => ProviderHttp
}

export type Outcome =
  | { result: Record<string, unknown>, failure?: undefined, recorded: Recorded }
  | { failure: ActionFailure, result?: undefined, recorded: Recorded }

export async function actionHarness (t: Test, provider: ProviderKey, { now = FIXED_NOW } = {}) {
  const sim: Simulator = await startSimulator({ now: () => now })
  const http = createProviderHttp({ maxBodyBytes: 256 * 1024 })
  t.teardown(async () => {
    await http.close()
    await sim.close()
  })

  function context (executor: ActionExecutor, options: RunOptions, recorded: Recorded): ExecutionContext {
    return {
      action: {
        id: 'act_test',
        projectId: 'p_test',
        provider,
        action: executor.id,
        params: options.params ?? {},
        userId: 'u_test',
        role: options.role ?? 'owner'
      },
      link: options.link === undefined ? null : options.link,
      signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
      http: options.http ? options.http(http) : http,
      now,
      async progress (update) { recorded.progress.push(update) },
      refreshStatus: options.refreshStatus ?? (async () => { recorded.refreshes++ }),
      async unlink () { recorded.unlinks++ },
      async storeLink (config, credentials) { recorded.stored.push({ config, credentials }) }
    }
  }

  return {
    sim,
    now,
    /** Resolves the result or the ActionFailure; anything else thrown rejects (the test decides). */
    async run (executor: ActionExecutor, options: RunOptions = {}): Promise<Outcome> {
      if (!executor.run) throw new Error(`${executor.id} has no run`)
      const recorded: Recorded = { progress: [], refreshes: 0, unlinks: 0, stored: [] }
      try {
        return { result: await executor.run(context(executor, options, recorded)), recorded }
      } catch (error) {
        if (error instanceof ActionFailure) return { failure: error, recorded }
        throw error
      }
    }
  }
}

export function executor (executors: readonly ActionExecutor[], id: string) {
  const found = executors.find((e) => e.id === id)
  if (!found) throw new Error(`no executor ${id}`)
  return found
}
