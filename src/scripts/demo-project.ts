import type { ScenarioName } from '../../test/simulator/simulator.js'

/** The demo project: its five integrations in varied states (the simulator's scenarios). */
export const DEMO_PROJECT = 'p_demo'

export const DEMO_LINKS: Array<{ provider: 'github' | 'vercel' | 'sanity' | 'supabase' | 'netlify', scenario: ScenarioName, config: Record<string, unknown>, options?: { branch?: string } }> = [
  { provider: 'github', scenario: 'healthy', config: { owner: 'acme', repo: 'storefront', branch: 'main' }, options: { branch: 'main' } },
  { provider: 'vercel', scenario: 'production_failing', config: { projectId: 'prj_storefront' } },
  { provider: 'sanity', scenario: 'webhook_disabled', config: { projectId: 'demoproj', dataset: 'production' } },
  { provider: 'supabase', scenario: 'revoked', config: { projectRef: 'demoref' } },
  { provider: 'netlify', scenario: 'building', config: { siteId: '0d3e0b5a-7c1f-4d2e-9a6b-5e1f2c3d4e5f' } }
]
