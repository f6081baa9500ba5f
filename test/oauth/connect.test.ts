import t from 'tap'
import { Type } from '@sinclair/typebox'
import { createConnectExecutors } from '../../src/oauth/connect.js'
import { createOAuthProviders } from '../../src/oauth/providers.js'
import { createProviderRegistry } from '../../src/aggregator/providers.js'
import { defineProvider, type CheckContext } from '../../src/provider-kit/manifest.js'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { ExecutionContext } from '../../src/provider-kit/executor.js'
import type { AppConfig } from '../../plugins/config.js'
import type { OAuthStates } from '../../src/oauth/states.js'

// Two providers without OAuth, each proving tokens its own way: a token-based connect must be
// verified by the provider being connected (it used to be one provider's check for all of them).
const seen: string[] = []
const tokenProvider = (key: string, accepts: string) => defineProvider({
  key,
  label: key.toUpperCase(),
  config: Type.Object({ site: Type.String() }, { $id: `${key}LinkConfig`, additionalProperties: false }),
  env: Type.Object({}),
  actions: [],
  setup: () => ({
    check: async () => { throw new Error('connect must use verifyCredentials when the manifest has it') },
    async verifyCredentials (ctx: CheckContext<unknown>) {
      seen.push(`${key}:${ctx.credentials.token}`)
      if (ctx.credentials.token !== accepts) throw new ProviderFailure('oauth_revoked', 'refused')
      return { status: 'connected' as const }
    }
  })
})

function context (provider: string, token: string, stored: unknown[]): ExecutionContext {
  return {
    action: { id: 'a1', projectId: 'p1', provider, action: 'connect', params: { config: { site: 's1' }, token }, userId: 'u1', role: 'owner' },
    link: null,
    signal: new AbortController().signal,
    http: { getJson: async () => { throw new Error('no calls') }, requestJson: async () => { throw new Error('no calls') } },
    now: Date.now(),
    progress: async () => {},
    refreshStatus: async () => {},
    unlink: async () => {},
    storeLink: async (config, credentials) => { stored.push({ provider, config, credentials }) }
  }
}

t.test('a token connect is verified by the provider being connected', async (t) => {
  const registry = createProviderRegistry({})
  registry.register(tokenProvider('alpha', 'tok-alpha'))
  registry.register(tokenProvider('beta', 'tok-beta'))
  const oauth = createOAuthProviders({ publicUrl: 'http://localhost:3000' } as AppConfig, () => undefined)
  const executorsFor = createConnectExecutors({ states: {} as OAuthStates, oauth, provider: registry.get })
  const connect = (key: string) => executorsFor(key).find((e) => e.id === 'connect')!

  const stored: unknown[] = []
  t.same(await connect('beta').run!(context('beta', 'tok-beta', stored)), { connected: true, status: 'connected' })
  t.same(seen, ['beta:tok-beta'], 'beta\'s own proof ran, not alpha\'s')
  t.same(stored, [{ provider: 'beta', config: { site: 's1' }, credentials: { token: 'tok-beta' } }])

  await t.rejects(connect('alpha').run!(context('alpha', 'tok-beta', stored)), { name: 'ActionFailure', code: 'verification_failed', message: /^ALPHA rejected the token/ },
    'alpha refuses beta\'s token, in its own name')
  t.equal(stored.length, 1, 'nothing stored for a refused token')
  t.match(connect('alpha').check!({ config: { site: 's1', extra: 1 }, token: 'x' }, 'owner'), /^params.config/,
    'the config is checked against the provider\'s own schema')
})
