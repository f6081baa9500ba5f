import t from 'tap'
import { LINK_CONFIGS, statusApp } from '../support/status-app.js'
import type { Provider, ScenarioName, ScenarioOptions } from '../simulator/simulator.js'
import type { IntegrationStatus, StatusEnvelope } from '../../src/schemas/integration-status.js'
import { PROVIDER_KEYS as KEYS } from '../../adapters/index.js'

const PROVIDER_KEYS = KEYS as Provider[]

/**
 * The contract per adapter, through the whole service: each simulator case, on a fresh link with
 * no history, maps to the item the plan says. The clock is fixed, so retryAfter is exact.
 */
const FIXED = Date.parse('2026-11-25T14:30:00.000Z')
const LABEL: Record<Provider, string> = { github: 'GitHub', vercel: 'Vercel', sanity: 'Sanity', supabase: 'Supabase', netlify: 'Netlify' }

interface Case { scenario: ScenarioName, options?: ScenarioOptions, expect: (p: Provider) => Partial<IntegrationStatus> | Record<string, unknown> }

const FAILURES: Case[] = [
  {
    scenario: 'revoked',
    expect: (p) => ({
      status: 'error',
      configured: true,
      configuredReason: 'revoked',
      summary: 'Access revoked',
      problem: { code: 'oauth_revoked', hint: `Reconnect ${LABEL[p]} to restore sync` },
      actions: [{ id: 'reconnect', can: true }, { id: 'disconnect', can: true }]
    })
  },
  { scenario: 'rate_limited', options: { retryAfterSeconds: 37 }, expect: () => ({ status: 'warning', stale: true, problem: { code: 'rate_limited', retryAfter: 37 } }) },
  { scenario: 'server_error', expect: (p) => ({ status: 'warning', summary: `${LABEL[p]} status unavailable`, problem: { code: 'unknown' } }) },
  { scenario: 'malformed', expect: () => ({ status: 'warning', problem: { code: 'unknown' } }) },
  { scenario: 'endless', expect: () => ({ status: 'warning', problem: { code: 'unknown' } }) },
  { scenario: 'reset', expect: () => ({ status: 'warning', problem: { code: 'unknown' } }) },
  { scenario: 'hanging', expect: () => ({ status: 'warning', stale: true, problem: { code: 'timeout' } }) }
]

const HEALTHY: Record<Provider, Partial<IntegrationStatus>> = {
  github: { status: 'connected', summary: 'Linked to release-train · Last push 2h ago' },
  vercel: { status: 'connected', summary: '3 deployments this week · Live' },
  sanity: { status: 'connected', summary: '5 docs updated today · Live sync' },
  supabase: { status: 'connected', summary: 'All services healthy' },
  netlify: { status: 'connected', summary: 'Live · deployed 2h ago' }
}

const SPECIFIC: Array<[Provider, ScenarioName, Partial<IntegrationStatus> | Record<string, unknown>]> = [
  ['github', 'stale', { status: 'warning', summary: 'Linked to release-train · No push in 12 days' }],
  ['github', 'missing_scopes', { status: 'warning', problem: { code: 'missing_scopes', title: 'Missing scopes', hint: /repo scope/ }, actions: [{ id: 'reconnect' }] }],
  ['vercel', 'production_failing', { status: 'warning', summary: 'Preview ok · Prod failing', environments: [{ name: 'preview', status: 'connected' }, { name: 'production', status: 'error', summary: 'Build failed' }] }],
  ['vercel', 'building', { status: 'connected', summary: /Building$/ }],
  ['sanity', 'webhook_disabled', { status: 'warning', summary: /^5 docs updated today · /, problem: { code: 'webhook_disabled', title: 'Webhook disabled' } }],
  ['supabase', 'unhealthy_service', { status: 'error', summary: 'Database unhealthy' }],
  ['supabase', 'paused', { status: 'error', summary: 'Project paused', problem: { code: 'project_paused', title: 'Project paused' } }],
  ['netlify', 'production_failing', { status: 'warning', summary: 'Prod deploy failed · previous still live', environments: [{ name: 'preview', status: 'connected' }, { name: 'production', status: 'error', summary: 'Build failed' }] }],
  ['netlify', 'building', { status: 'connected', summary: /Building$/ }],
  ['netlify', 'no_successful_deploy', { status: 'error', summary: 'No successful deploy yet' }]
]

t.test('each adapter, each case, through GET /api/integrations/status', async (t) => {
  const s = await statusApp(t, { now: () => FIXED, env: { STATUS_DEADLINE_MS: '3000', PROVIDER_TIMEOUT_MS: '2000' } })
  let n = 0
  const itemFor = async (provider: Provider, scenario: ScenarioName, options: ScenarioOptions = {}) => {
    const projectId = `p_case_${++n}`
    await s.link(projectId, provider, scenario, options)
    const body = (await s.status(projectId)).json<StatusEnvelope>()
    t.same(body.items.map((i) => i.key), PROVIDER_KEYS)
    return body.items.find((i) => i.key === provider)!
  }
  for (const provider of PROVIDER_KEYS) {
    t.match(await itemFor(provider, 'healthy'), { configured: true, visible: true, ...HEALTHY[provider] }, `${provider} healthy`)
    for (const { scenario, options, expect } of FAILURES) {
      if (scenario === 'hanging') continue
      t.match(await itemFor(provider, scenario, options), expect(provider), `${provider} ${scenario}`)
    }
  }
  for (const [provider, scenario, expected] of SPECIFIC) {
    t.match(await itemFor(provider, scenario), expected, `${provider} ${scenario}`)
  }
  const gone = await itemFor('netlify', 'healthy', { unknownSites: [LINK_CONFIGS.netlify.siteId] })
  t.match(gone, { status: 'error', summary: 'Site not found', problem: { hint: /link the site again/ }, actions: [{ id: 'reconnect' }] }, 'netlify: a deleted site asks for a relink')
})

t.test('a hanging provider gives a timeout item at the deadline, for each adapter', async (t) => {
  const s = await statusApp(t, { now: () => FIXED, env: { STATUS_DEADLINE_MS: '150', PROVIDER_TIMEOUT_MS: '600' } })
  for (const provider of PROVIDER_KEYS) {
    const projectId = `p_hang_${provider}`
    await s.link(projectId, provider, 'hanging')
    const item = (await s.status(projectId)).json<StatusEnvelope>().items.find((i) => i.key === provider)!
    t.match(item, FAILURES.find((c) => c.scenario === 'hanging')!.expect(provider), `${provider} hanging`)
  }
})
