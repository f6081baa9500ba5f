import { Value } from '@sinclair/typebox/value'
import type { ProviderKey } from '../db/database.js'
import type { RegisteredProvider } from '../aggregator/providers.js'
import { isProviderFailure } from '../provider-kit/failure.js'
import { ActionFailure, type ActionExecutor, type ExecutionContext } from '../provider-kit/executor.js'
import type { OAuthProviders } from './providers.js'
import type { OAuthStates } from './states.js'

/**
 * connect and reconnect, for every provider. A provider whose manifest has OAuth steps goes
 * through OAuth: the action's result is the consent URL with a signed, single-use state, and the
 * callback route finishes the link. One without OAuth, or whose OAuth app this service lacks, takes the token in params (sealed at rest, never
 * shown back), proven by its own `verifyCredentials` (or its check) before it is stored.
 */
export function createConnectExecutors ({ states, oauth, provider: registered }: { states: OAuthStates, oauth: OAuthProviders, provider: (key: ProviderKey) => RegisteredProvider | undefined }) {
  function configCheck (provider: ProviderKey, config: unknown) {
    if (typeof config !== 'object' || config === null) return 'params.config is required: the link\'s config'
    const { manifest } = registered(provider)!
    const error = Value.Errors(manifest.config, config).First()
    if (error) return `params.config${error.path} ${error.message}`
    const secret = (manifest.secretConfig ?? []).find((field) => field in config)
    if (secret !== undefined) {
      // It holds a secret: it belongs in the encrypted link, not in an authorization in flight.
      return `params.config.${secret} cannot be set through connect; add it with PUT /api/projects/{projectId}/integrations/${provider}`
    }
    return undefined
  }

  const onlyKeys = (params: Record<string, unknown>, allowed: string[]) => {
    const extra = Object.keys(params).find((k) => !allowed.includes(k))
    return extra === undefined ? undefined : `params.${extra} is not accepted`
  }

  async function startOAuth (ctx: ExecutionContext, config: Record<string, unknown>) {
    const { provider, projectId, userId, id } = ctx.action
    if (!oauth.offers(provider)) throw new ActionFailure('invalid_params', `${provider} has no OAuth flow`)
    const { state, expiresAt } = await states.issue({ actionId: id, projectId, userId, provider, config })
    const authorizeUrl = oauth.authorizeUrl(provider, state)
    await ctx.progress({ stage: 'awaiting_authorization' })
    return { authorizeUrl, expiresAt: expiresAt.toISOString() }
  }

  /**
   * Without OAuth: the provider's own proof of the new token (its `verifyCredentials`, else its
   * status check) before it replaces anything.
   */
  async function connectWithToken (ctx: ExecutionContext, config: Record<string, unknown>) {
    const token = ctx.action.params.token
    if (typeof token !== 'string' || token.length === 0) throw new ActionFailure('invalid_params', 'params.token is required')
    const { adapter } = registered(ctx.action.provider)!
    const context = { projectId: ctx.action.projectId, config, credentials: { token }, signal: ctx.signal, now: ctx.now, http: ctx.http }
    try {
      const result = adapter.verifyCredentials ? await adapter.verifyCredentials(context) : await adapter.check(context)
      await ctx.storeLink(config, { token })
      await ctx.refreshStatus()
      const status = (result as { status?: unknown } | undefined)?.status
      return { connected: true, ...(typeof status === 'string' ? { status } : {}) }
    } catch (error) {
      if (isProviderFailure(error)) {
        throw new ActionFailure('verification_failed', error.code === 'oauth_revoked'
          ? `${adapter.label} rejected the token; nothing was stored`
          : `${adapter.label} could not be checked with it (${error.code}); nothing was stored`)
      }
      throw error
    }
  }

  return (provider: ProviderKey): ActionExecutor[] => {
    // Without the provider's OAuth app configured here, connect takes a token instead.
    const viaOAuth = oauth.offers(provider) && oauth.configured(provider)
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
          // The stored config, minus what is masked in it (secret config fields stay in the credentials).
          const secret = new Set(registered(provider)!.manifest.secretConfig ?? [])
          const config = Object.fromEntries(Object.entries(ctx.link!.config).filter(([field]) => !secret.has(field)))
          return viaOAuth ? startOAuth(ctx, config) : connectWithToken(ctx, config)
        }
      }
    ]
  }
}
