// The provider simulator the tests use (test/simulator/): GitHub's, Vercel's, Sanity's, Supabase's
// and Netlify's wire formats. Test code, so this script is left out of the production build (tsconfig.build.json)
// and compiled on its own for the `simulator` image target (tsconfig.simulator.json, Dockerfile).
import { GENERIC_SCENARIOS } from '../../test/simulator/shared.js'
import { startSimulator, type Provider, type ScenarioName } from '../../test/simulator/simulator.js'

/**
 * `npm run simulator`: the provider simulator as a process of its own, for a local trial of a
 * deployment (deploy/compose.yaml points the service's *_API_URL variables at it). Every scenario
 * has a fixed token per provider, `sim_<scenario>` (e.g. `sim_healthy`, `sim_revoked`,
 * `sim_production_failing`); any other token is answered as the provider answers a revoked one.
 * Nothing here is a real provider: never point a production deployment at it.
 */
const PROVIDERS: Provider[] = ['github', 'vercel', 'sanity', 'supabase', 'netlify']
const EXTRA_SCENARIOS: ScenarioName[] = ['production_failing', 'building', 'webhook_disabled', 'unhealthy_service', 'paused', 'no_successful_deploy']

const scenarioToken = (scenario: ScenarioName) => `sim_${scenario}`

const host = process.env.SIMULATOR_HOST || '127.0.0.1'
const port = Number(process.env.SIMULATOR_PORT || 4010)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`simulator: SIMULATOR_PORT must be a port number, got ${process.env.SIMULATOR_PORT}\n`)
  process.exit(78)
}

const sim = await startSimulator({ host, port })
const tokens: Record<string, string[]> = {}
for (const provider of PROVIDERS) {
  for (const scenario of [...GENERIC_SCENARIOS, ...EXTRA_SCENARIOS]) {
    try {
      sim.setScenario(provider, scenarioToken(scenario), scenario)
      ;(tokens[provider] ??= []).push(scenarioToken(scenario))
    } catch {
      // That scenario does not apply to that provider (e.g. `paused` is Supabase's only).
    }
  }
}

process.stdout.write([
  `provider simulator listening on http://${host}:${port}`,
  '  base URLs: /github, /vercel, /sanity/{projectId}, /sanity-api, /supabase, /netlify/api/v1',
  ...PROVIDERS.map((provider) => `  ${provider} tokens: ${tokens[provider]!.join(', ')}`),
  ''
].join('\n'))

const stop = () => { sim.close().then(() => process.exit(0), () => process.exit(1)) }
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
