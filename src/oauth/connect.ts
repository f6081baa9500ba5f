import { Value } from '@sinclair/typebox/value'
import type { ProviderKey } from '../db/database.js'
import type { AdapterDefinition } from '../aggregator/adapter.js'
import { isProviderFailure } from '../aggregator/adapter.js'
import { LINK_CONFIG_SCHEMAS } from '../schemas/integration-link.js'
import { ActionFailure, type ActionExecutor, type ExecutionContext } from '../actions/executor.js'
import { isOAuthProvider, type OAuthProviders } from './providers.js'
import type { OAuthStates } from './states.js'

/**
 * connect and reconnect, for every provider. GitHub, Vercel and Supabase go through OAuth: the
 * action's result is the consent URL with a signed, single-use state, and the callback route
 * finishes the link. Sanity has no OAuth for this, and a service without a provider's OAuth app
 * cannot use it: then the token comes in params (sealed at rest, never shown back) and is verified
 * with a live check before it is stored (the settings tab's token form).
 */
export function createConnectExecutors ({ states, oauth, adapter }: { states: OAuthStates, oauth: OAuthProviders, adapter: (key: ProviderKey) => AdapterDefinition<any> | undefined }) {
  function configCheck (provider: ProviderKey, config: unknown) {
    if (typeof config !== 'object' || config === null) return 'params.config is required: the link\'s config'
    const error = Value.Errors(LINK_CONFIG_SCHEMAS[provider], config).First()
    if (error) return `params.config${error.path} ${error.message}`
    if (provider === 'supabase' && 'databaseUrl' in config) {
      // It holds a password: it belongs in the encrypted link, not in an authorization in flight.
      return 'params.config.databaseUrl cannot be set through connect; add it with PUT /api/projects/{projectId}/integrations/supabase'
    }
    return undefined
  }

  const onlyKeys = (params: Record<string, unknown>, allowed: string[]) => {
    const extra = Object.keys(params).find((k) => !allowed.includes(k))
    return extra === undefined ? undefined : `params.${extra} is not accepted`
  }

  async function startOAuth (ctx: ExecutionContext, config: Record<string, unknown>) {
    const { provider, projectId, userId, id } = ctx.action
    if (!isOAuthProvider(provider)) throw new ActionFailure('invalid_params', `${provider} has no OAuth flow`)
    const { state, expiresAt } = await states.issue({ actionId: id, projectId, userId, provider, config })
    const authorizeUrl = oauth.authorizeUrl(provider, state)
    await ctx.progress({ stage: 'awaiting_authorization' })
    return { authorizeUrl, expiresAt: expiresAt.toISOString() }
  }

  /** A token: a live check with it before it replaces anything. */
  async function connectWithToken (ctx: ExecutionContext, config: Record<string, unknown>) {
    const token = ctx.action.params.token
    if (typeof token !== 'string' || token.length === 0) throw new ActionFailure('invalid_params', 'params.token is required')
    const provider = adapter(ctx.action.provider)!
    try {
      const result = await provider.check({ projectId: ctx.action.projectId, config, credentials: { token }, signal: ctx.signal, now: ctx.now, http: ctx.http })
      await ctx.storeLink(config, { token })
      await ctx.refreshStatus()
      return { connected: true, status: result.status }
    } catch (error) {
      if (isProviderFailure(error)) {
        throw new ActionFailure('verification_failed', error.code === 'oauth_revoked'
          ? `${provider.label} rejected the token; nothing was stored`
          : `${provider.label} could not be checked with it (${error.code}); nothing was stored`)
      }
      throw error
    }
  }

  return (provider: ProviderKey): ActionExecutor[] => {
    // Without the provider's OAuth app configured here, connect takes a token instead.
    const viaOAuth = isOAuthProvider(provider) && oauth.configured(provider)
    const paramsOf = (reconnect: boolean) => viaOAuth ? (reconnect ? [] : ['config']) : (reconnect ? ['token'] : ['config', 'token'])
    return [
      {
        id: 'connect',
        mode: 'inline',
        retryable: true,
        needsLink: false,
        check: (params) => onlyKeys(params, paramsOf(false)) ?? configCheck(provider, params.config) ??
          (viaOAuth || typeof params.token === 'string' ? undefined : 'params.token is required'),
        run: (ctx) => {
          const config = ctx.action.params.config as Record<string, unknown>
          return viaOAuth ? startOAuth(ctx, config) : connectWithToken(ctx, config)
        }
      },
      {
        id: 'reconnect',
        mode: 'inline',
        retryable: true,
        needsLink: true,
        check: (params) => onlyKeys(params, paramsOf(true)) ?? (viaOAuth || typeof params.token === 'string' ? undefined : 'params.token is required'),
        run: (ctx) => {
          // The stored config, minus what is masked in it (Supabase's databaseUrl stays in the credentials).
          const { databaseUrl: _masked, ...config } = ctx.link!.config
          return viaOAuth ? startOAuth(ctx, config) : connectWithToken(ctx, config)
        }
      }
    ]
  }
}
