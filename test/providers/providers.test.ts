import t from 'tap'
import { Type } from '@sinclair/typebox'
import fp from 'fastify-plugin'
import { build, freshPglite, testEnv } from '../helper.js'
import { buildApp } from '../../src/build-app.js'
import { loadConfig } from '../../plugins/config.js'
import { PROVIDER_KEYS } from '../../adapters/index.js'
import { createProviderRegistry } from '../../src/aggregator/providers.js'
import { defineProvider } from '../../src/provider-kit/manifest.js'
import { oauthClient } from '../../src/provider-kit/env.js'

interface ProviderInfo { key: string, label: string, oauth: boolean, config: Record<string, any>, credentials: Record<string, any> }

t.test('GET /api/providers lists the registered manifests, in order, for any signed-in caller', async (t) => {
  const { app, as } = await build(t)
  const response = await app.inject({ method: 'GET', url: '/api/providers', headers: as('viewer', 'p_any') })
  t.equal(response.statusCode, 200)
  const { providers } = response.json<{ providers: ProviderInfo[] }>()
  t.same(providers.map((p) => p.key), PROVIDER_KEYS, 'the order every response uses')
  t.same(providers.map((p) => p.label), ['GitHub', 'Vercel', 'Sanity', 'Supabase', 'Netlify'])
  t.same(providers.map((p) => p.oauth), [false, false, false, false, false], 'OAuth only where this service has the provider\'s app (none here): connect takes a token')
  const github = providers[0]!
  t.equal(github.config.$id, 'GithubLinkConfig', 'the link config is the manifest\'s schema')
  t.same(github.config.required, ['owner', 'repo', 'branch'])
  for (const provider of providers) {
    const token = provider.credentials.properties.token
    t.equal(token.type, 'string', `${provider.key}: a token`)
    t.equal(token.title, 'Access token', `${provider.key}: titled`)
    t.equal(token.writeOnly, true, `${provider.key}: a secret is writeOnly`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/providers' })).statusCode, 401, 'only for signed-in callers')
})

t.test('the contract takes ProviderKey and the link configs from the manifests', async (t) => {
  const { app } = await build(t)
  await app.ready()
  const schemas = (app.swagger() as { components: { schemas: Record<string, any> } }).components.schemas
  t.same(schemas.ProviderKey.anyOf.map((s: { const?: string, enum?: string[] }) => s.const ?? s.enum?.[0]), PROVIDER_KEYS)
  for (const id of ['GithubLinkConfig', 'VercelLinkConfig', 'SanityLinkConfig', 'SupabaseLinkConfig', 'NetlifyLinkConfig']) t.ok(schemas[id], `${id} published`)
  for (const key of PROVIDER_KEYS) {
    const name = `${key[0]!.toUpperCase()}${key.slice(1)}`
    t.equal(schemas[`Put${name}IntegrationLinkBody`]?.properties.config.$ref, `#/components/schemas/${name}LinkConfig`, `${key}: its PUT body takes its own config`)
  }
})

const Config = Type.Object({ siteId: Type.String() }, { $id: 'ExampleLinkConfig', additionalProperties: false })
const example = (extra: Partial<Parameters<typeof defineProvider>[0]> = {}) => defineProvider({
  key: 'example',
  label: 'Example',
  config: Config,
  env: Type.Object({
    EXAMPLE_API_URL: Type.String({ pattern: '^https?://', default: 'https://api.example.test', url: true }),
    EXAMPLE_OAUTH_CLIENT_ID: Type.Optional(Type.String({ minLength: 1 })),
    EXAMPLE_OAUTH_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1 }))
  }),
  actions: [],
  setup: (env: Record<string, string | undefined>) => {
    const client = oauthClient('EXAMPLE_OAUTH_CLIENT_ID', env.EXAMPLE_OAUTH_CLIENT_ID, env.EXAMPLE_OAUTH_CLIENT_SECRET)
    return { check: async () => ({ status: 'connected' as const, summary: `${env.EXAMPLE_API_URL} ${client ? 'oauth' : 'token'}` }) }
  },
  ...extra
})

t.test('the registry: environment, setup and refusals', async (t) => {
  const registry = createProviderRegistry({ EXAMPLE_API_URL: 'http://127.0.0.1:9/api/' })
  registry.register(example())
  t.same(registry.keys(), ['example'])
  const result = await registry.get('example')!.adapter.check({} as never)
  t.equal(result.summary, 'http://127.0.0.1:9/api token', 'setup sees the validated, trimmed environment')
  t.equal(registry.get('example')!.adapter.label, 'Example', 'the adapter carries the manifest\'s label')
  t.throws(() => registry.register(example()), /registered twice/)
  t.throws(() => createProviderRegistry({}).register(example({ key: 'Not A Key' })), /must match/)
  t.throws(() => createProviderRegistry({ EXAMPLE_API_URL: 'nope' }).register(example()), { name: 'ConfigError', message: /^EXAMPLE_API_URL: / })
  t.throws(() => createProviderRegistry({ EXAMPLE_OAUTH_CLIENT_ID: 'id-only' }).register(example()),
    { name: 'ConfigError', message: /EXAMPLE_OAUTH_CLIENT_ID: set both/ }, 'half an OAuth app stops boot')
})

t.test('a registered provider without its migration line stops boot, naming it', async (t) => {
  const app = buildApp({ config: loadConfig({ ...testEnv('embedded'), LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv), pglite: await freshPglite() })
  t.teardown(() => app.close())
  app.register(fp(async (fastify) => { fastify.aggregator.register(example()) }, { name: 'adapter-example', dependencies: ['aggregator'] }))
  await t.rejects(async () => { await app.ready() }, /provider example is registered but not in the providers table/)
})
