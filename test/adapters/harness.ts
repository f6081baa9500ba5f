import type { Test } from 'tap'
import { startSimulator, type Simulator } from '../simulator/simulator.js'
import { createProviderHttp } from '../../src/provider-kit/http.js'
import type { AdapterDefinition, CheckResult } from '../../src/provider-kit/manifest.js'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { StoredCredentials } from '../../src/repositories/integration-links.js'

/**
 * Runs one adapter's check against the provider simulator over real HTTP, outside the app:
 * the adapter-level half of the contract tests (the route-level half lives in test/routes).
 */
export interface AdapterHarness {
  sim: Simulator
  now: number
  /** Resolves the check's result, or the ProviderFailure it threw (anything else fails the test). */
  run<C> (adapter: AdapterDefinition<C>, config: C, credentials: StoredCredentials, options?: { timeoutMs?: number }): Promise<CheckResult | ProviderFailure>
}

/** Asserts that a check ended in this ProviderFailure (status only when the case names one). */
export function expectFailure (t: Test, result: CheckResult | ProviderFailure, expected: { failure: ProviderFailure['code'], retryAfter?: number | undefined, status?: number | undefined }, name = 'the check') {
  t.type(result, ProviderFailure, name)
  const failure = result as ProviderFailure
  t.equal(failure.code, expected.failure, name)
  t.equal(failure.retryAfter, expected.retryAfter, `${name}: retryAfter`)
  if (expected.status !== undefined) t.equal(failure.status, expected.status, name)
}

/** A fixed clock: Wednesday 2026-11-25 14:30 UTC, mid-week and mid-day. */
export const FIXED_NOW = Date.parse('2026-11-25T14:30:00.000Z')

export async function adapterHarness (t: Test, { now = FIXED_NOW } = {}): Promise<AdapterHarness> {
  const sim = await startSimulator({ now: () => now })
  const http = createProviderHttp({ maxBodyBytes: 256 * 1024 })
  t.teardown(async () => {
    await http.close()
    await sim.close()
  })
  return {
    sim,
    now,
    async run (adapter, config, credentials, { timeoutMs = 2000 } = {}) {
      const signal = AbortSignal.timeout(timeoutMs)
      try {
        return await adapter.check({ projectId: 'p_test', config, credentials, signal, now, http })
      } catch (error) {
        if (error instanceof ProviderFailure) return error
        throw error
      }
    }
  }
}
