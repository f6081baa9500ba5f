import type { AppConfig } from '../../plugins/config.js'
import type { ProviderHttp } from '../provider-kit/http.js'
import type { OAuthSteps } from '../provider-kit/manifest.js'
import { OAuthFailure } from '../provider-kit/oauth.js'
import { AppError } from '../errors.js'

export interface Exchanged {
  token: string
  /** Granted scopes, for providers that report them. */
  scopes?: string[]
}

/** Finds a registered provider's OAuth steps (the aggregator's registry). */
export type OAuthStepsOf = (provider: string) => OAuthSteps<any> | undefined

/** An OAuthFailure becomes the catalog's error; anything else is the provider failing to answer. */
function asAppError (error: unknown, fallback: 'OAUTH_CODE_REJECTED' | 'OAUTH_VERIFICATION_FAILED') {
  if (error instanceof AppError) return error
  if (error instanceof OAuthFailure) {
    return new AppError(error.code === 'code_rejected' ? 'OAUTH_CODE_REJECTED' : 'OAUTH_VERIFICATION_FAILED', error.message, { cause: error })
  }
  return new AppError(fallback, undefined, { cause: error })
}

/**
 * The registered providers' authorization-code flows (each manifest's `oauth` steps), with what
 * they share: the redirect URI on this service, "not configured" as one error, and refusals
 * mapped onto the error catalog.
 */
export function createOAuthProviders (config: AppConfig, stepsOf: OAuthStepsOf) {
  const redirectUri = (provider: string) => `${config.publicUrl}/api/integrations/oauth/${provider}/callback`

  function flow (provider: string) {
    const steps = stepsOf(provider)
    if (!steps) throw new AppError('ACTION_NOT_AVAILABLE', `${provider} has no OAuth flow`)
    if (!steps.client) throw new AppError('ACTION_NOT_AVAILABLE', `${provider} OAuth is not configured on this service (client id and secret)`)
    return { steps, client: steps.client }
  }

  function authorizeUrl (provider: string, state: string) {
    const { steps, client } = flow(provider)
    return steps.authorizeUrl({ client, redirectUri: redirectUri(provider), state })
  }

  /** Trades the code for a token at the provider's token endpoint; a refusal is 400, never stored. */
  async function exchange (http: ProviderHttp, provider: string, code: string, signal: AbortSignal): Promise<Exchanged> {
    const { steps, client } = flow(provider)
    try {
      return await steps.exchange({ http, client, code, redirectUri: redirectUri(provider), signal })
    } catch (error) {
      throw asAppError(error, 'OAUTH_CODE_REJECTED')
    }
  }

  /** One authenticated call with the new token; the granted scopes when the provider reports them. */
  async function verify (http: ProviderHttp, provider: string, token: string, linkConfig: Record<string, unknown>, signal: AbortSignal) {
    const { steps } = flow(provider)
    try {
      return await steps.verify({ http, token, config: linkConfig, signal })
    } catch (error) {
      throw asAppError(error, 'OAUTH_VERIFICATION_FAILED')
    }
  }

  return {
    authorizeUrl,
    exchange,
    verify,
    /** Whether the provider has an OAuth flow at all (else connect takes a token). */
    offers: (provider: string) => stepsOf(provider) !== undefined,
    configured: (provider: string) => stepsOf(provider)?.client !== undefined,
    requiredScopes: (provider: string) => stepsOf(provider)?.requiredScopes ?? []
  }
}

export type OAuthProviders = ReturnType<typeof createOAuthProviders>
