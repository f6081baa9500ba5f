import { randomBytes } from 'node:crypto'
import { loadConfig } from '../../plugins/config.js'
import { buildApp } from '../build-app.js'
import { signToken } from '../lib/tokens.js'
// The provider simulator the tests use: the same wire formats as GitHub, Vercel, Sanity, Supabase and Netlify.
import { providerEnv, startSimulator } from '../../test/simulator/simulator.js'
import { DEMO_LINKS, DEMO_PROJECT } from './demo-project.js'

/**
 * `npm run demo`: the service on embedded defaults (nothing kept on disk), the provider simulator,
 * a seeded project `p_demo` whose five integrations are in varied states, and printed links that
 * sign the browser in (DEV_LOGIN) as an owner, an editor or a viewer.
 */
const sim = await startSimulator()
const port = process.env.PORT ?? '3000'
const config = loadConfig({
  ...process.env,
  PORT: port,
  DATA_DIR: process.env.DATA_DIR ?? 'memory://',
  DEV_LOGIN: 'true',
  // One-off secrets: the demo keeps nothing.
  AUTH_JWT_SECRET: randomBytes(32).toString('hex'),
  CREDENTIALS_KEY: randomBytes(32).toString('base64'),
  ...providerEnv(sim.baseUrls)
})
const app = buildApp({ config })
await app.listen({ port: config.port, host: config.host })

const owner = signToken(config.jwtSecret, { sub: 'u_demo_owner', roles: { [DEMO_PROJECT]: 'owner' } })
for (const link of DEMO_LINKS) {
  const token = `demo_${link.provider}_${randomBytes(6).toString('hex')}`
  sim.setScenario(link.provider, token, link.scenario, link.options ?? {})
  const response = await app.inject({
    method: 'PUT',
    url: `/api/projects/${DEMO_PROJECT}/integrations/${link.provider}`,
    headers: { authorization: `Bearer ${owner}` },
    payload: { config: link.config, credentials: { token } }
  })
  if (response.statusCode >= 300) throw new Error(`seeding ${link.provider} failed: ${response.body}`)
}

const base = `http://${config.host}:${config.port}`
const login = (role: string, sub: string) => `${base}/api/dev/login?projectId=${DEMO_PROJECT}&role=${role}&sub=${sub}`
process.stdout.write([
  '',
  `integration-status demo on ${base} (embedded database, provider simulator; nothing is kept)`,
  `  open as owner:  ${login('owner', 'u_owner')}`,
  `  open as editor: ${login('editor', 'u_editor')}`,
  `  open as viewer: ${login('viewer', 'u_viewer')}`,
  `  API explorer:   ${base}/docs`,
  'Ctrl-C stops it.',
  ''
].join('\n'))

const stop = async () => {
  await app.close()
  await sim.close()
  process.exit(0)
}
process.once('SIGINT', () => { stop().catch(() => process.exit(1)) })
process.once('SIGTERM', () => { stop().catch(() => process.exit(1)) })
