import type { Test } from 'tap'
import type { LightMyRequestResponse as Response } from 'fastify'
import { build, type BackendName, type TestApp, type TokenKind } from '../helper.js'
import { providerEnv, startSimulator, type Provider, type ScenarioName, type ScenarioOptions, type Simulator } from '../simulator/simulator.js'

/** Link configs whose names a viewer must never see in a response. */
export const LINK_CONFIGS = {
  github: { owner: 'acme-secret-org', repo: 'secret-site', branch: 'release-train' },
  vercel: { projectId: 'prj_secretvercel', teamId: 'team_secretteam' },
  sanity: { projectId: 'sanitysecret1', dataset: 'production' },
  supabase: { projectRef: 'supasecretref' },
  netlify: { siteId: '5ec7e75e-0000-4000-8000-00000000c0de' }
} as const

export interface StatusApp extends TestApp {
  sim: Simulator
  /** Links a provider with a fresh token registered at the simulator under the scenario. */
  link (projectId: string, provider: Provider, scenario?: ScenarioName, options?: ScenarioOptions & { config?: Record<string, unknown> }): Promise<string>
  status (projectId: string, role?: 'owner' | 'admin' | 'editor' | 'viewer', headers?: Record<string, string>): Promise<Response>
}

let tokens = 0

/**
 * Registers a provider token at the simulator under a scenario. The simulated repository's branch
 * follows the GitHub link's config unless the options say otherwise.
 */
export function setScenario (sim: Simulator, provider: Provider, token: string, scenario: ScenarioName, options: ScenarioOptions & { config?: Record<string, unknown> } = {}) {
  const { config, ...scenarioOptions } = options
  const branch = provider === 'github' ? { branch: String((config ?? LINK_CONFIGS.github).branch) } : {}
  sim.setScenario(provider, token, scenario, { ...branch, ...scenarioOptions })
}

/** The real app pointed at the provider simulator over loopback HTTP. */
export async function statusApp (t: Test, options: { backend?: BackendName, env?: Record<string, string>, now?: () => number, sim?: Simulator, listen?: boolean, tokenKind?: TokenKind } = {}): Promise<StatusApp> {
  const sim = options.sim ?? await startSimulator(options.now ? { now: options.now } : {})
  if (!options.sim) t.teardown(() => sim.close())
  const built = await build(t, {
    backend: options.backend ?? 'embedded',
    ...(options.listen ? { listen: true } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.tokenKind ? { tokenKind: options.tokenKind } : {}),
    env: {
      ...providerEnv(sim.baseUrls),
      // Generous, so a loaded CI machine still sees cold checks finish; deadline tests set their own.
      STATUS_DEADLINE_MS: '3000',
      PROVIDER_TIMEOUT_MS: '2000',
      ...options.env
    }
  })
  return {
    ...built,
    sim,
    async link (projectId, provider, scenario = 'healthy', options = {}) {
      const token = `tok_${provider}_${process.pid}_${++tokens}`
      setScenario(sim, provider, token, scenario, options)
      const response = await built.app.inject({
        method: 'PUT',
        url: `/api/projects/${projectId}/integrations/${provider}`,
        headers: built.as('owner', projectId),
        payload: { config: options.config ?? LINK_CONFIGS[provider], credentials: { token } }
      })
      if (response.statusCode >= 300) throw new Error(`link failed: ${response.statusCode} ${response.body}`)
      return token
    },
    status (projectId, role = 'owner', headers = {}) {
      return built.app.inject({ method: 'GET', url: `/api/integrations/status?projectId=${projectId}`, headers: { ...built.as(role, projectId), ...headers } })
    }
  }
}
