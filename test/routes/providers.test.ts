import t from 'tap'
import { build } from '../helper.js'
import { statusApp } from '../support/status-app.js'
import { PROVIDER_KEYS } from '../../adapters/index.js'
import type { StatusEnvelope } from '../../src/schemas/integration-status.js'

t.test('GET /api/providers: labels and what linking each provider takes, for any signed-in caller', async (t) => {
  const s = await build(t, { env: { GITHUB_OAUTH_CLIENT_ID: 'Iv1.providers', GITHUB_OAUTH_CLIENT_SECRET: 'providers-secret-0123456789' } })
  t.equal((await s.app.inject({ url: '/api/providers' })).statusCode, 401, 'not without a caller')
  const response = await s.app.inject({ url: '/api/providers', headers: s.as('viewer', 'p_any') })
  t.equal(response.statusCode, 200)
  const { providers } = response.json<{ providers: Array<{ key: string, label: string, oauth: boolean, config: any, credentials: any }> }>()
  t.same(providers.map((p) => p.key), [...PROVIDER_KEYS], 'in the service\'s order')
  t.same(providers.map((p) => p.label), ['GitHub', 'Vercel', 'Sanity', 'Supabase', 'Netlify'])
  t.same(providers.map((p) => p.oauth), [true, false, false, false, false], 'OAuth only where this service has the provider\'s app')
  const github = providers[0]!
  t.match(github.config, { type: 'object', required: ['owner', 'repo', 'branch'], properties: { owner: { type: 'string', title: 'Owner' }, repo: { title: 'Repository' } } })
  t.equal(github.config.$id, 'GithubLinkConfig', 'the manifest\'s own schema')
  t.match(github.credentials, { required: ['token'], properties: { token: { type: 'string', writeOnly: true, title: String } } })
  t.match(providers[3]!.config.properties.databaseUrl, { writeOnly: true }, 'a secret in a config is marked writeOnly')
})

t.test('status items carry the provider label; problems a code, a human title and a hint', async (t) => {
  const s = await statusApp(t)
  await s.link('p_titles', 'sanity', 'webhook_disabled')
  await s.link('p_titles', 'supabase', 'revoked')
  const owner = (await s.status('p_titles')).json<StatusEnvelope>()
  t.same(owner.items.map((i) => i.label), ['GitHub', 'Vercel', 'Sanity', 'Supabase', 'Netlify'])
  t.match(owner.items[2], { problem: { code: 'webhook_disabled', title: 'Webhook disabled', hint: /Enable the Sanity webhook/ } })
  t.match(owner.items[3], { problem: { code: 'oauth_revoked', title: 'Access revoked', hint: 'Reconnect Supabase to restore sync' } })
  const viewer = (await s.status('p_titles', 'viewer')).json<StatusEnvelope>()
  t.match(viewer.items[2], { problem: { code: 'webhook_disabled', title: 'Webhook disabled', hint: /ask a project owner or admin to enable its webhook/ } }, 'viewers: the same title, a hint for their role')
})
