import type { ProviderHttp, ReadOnlyProviderHttp } from '../../src/aggregator/provider-http.js'
import { NETLIFY_ENV, NETLIFY_KEY, NETLIFY_LABEL, NetlifyCredentials, NetlifyLinkConfig, netlifySettings, type NetlifySettings } from './config.js'
import { createNetlifyAdapter } from './status.js'
import { NETLIFY_ACTIONS } from './actions.js'
import { exchangeNetlifyCode, netlifyAuthorizeUrl, verifyNetlifyCredentials } from './oauth.js'
import { NETLIFY_SIGNATURE_HEADER, NETLIFY_WEBHOOK_SEGMENT, readNetlifyDelivery, verifyNetlifySignature } from './webhook.js'

/**
 * Netlify, the fifth provider, as one manifest: every part the core needs, gathered here so the
 * provider registry can take it whole. Not registered yet: the core still lists its providers
 * itself (src/domain/providers.ts); registering this is the remaining wiring (see README.md here).
 */
export function netlifyManifest (env: Parameters<typeof netlifySettings>[0]) {
  const settings: NetlifySettings = netlifySettings(env)
  const oauth = settings.oauth
  return {
    key: NETLIFY_KEY,
    label: NETLIFY_LABEL,
    config: NetlifyLinkConfig,
    credentials: NetlifyCredentials,
    env: NETLIFY_ENV,
    settings,
    adapter: createNetlifyAdapter({ apiUrl: settings.apiUrl }),
    actions: NETLIFY_ACTIONS,
    verifyCredentials: (http: ReadOnlyProviderHttp, config: { siteId: string }, credentials: { token: string }, signal: AbortSignal) =>
      verifyNetlifyCredentials(http, settings.apiUrl, config, credentials, signal),
    /** Offered only with NETLIFY_OAUTH_CLIENT_ID and _SECRET set. */
    oauth: oauth && {
      authorizeUrl: (redirectUri: string, state: string) => netlifyAuthorizeUrl(oauth, redirectUri, state),
      exchange: (http: ProviderHttp, code: string, redirectUri: string, signal: AbortSignal) =>
        exchangeNetlifyCode(http, settings.apiUrl, oauth, code, redirectUri, signal),
      /** Netlify tokens carry no scopes. */
      requiredScopes: [] as string[]
    },
    webhook: {
      segment: NETLIFY_WEBHOOK_SEGMENT,
      signatureHeader: NETLIFY_SIGNATURE_HEADER,
      secret: settings.webhookSecret,
      verify: verifyNetlifySignature,
      read: readNetlifyDelivery
    }
  }
}

export type NetlifyManifest = ReturnType<typeof netlifyManifest>
export { createNetlifyAdapter } from './status.js'
export { createNetlifyExecutors, NETLIFY_ACTIONS } from './actions.js'
export { verifyNetlifySignature, readNetlifyDelivery } from './webhook.js'
export { NetlifyLinkConfig, NetlifyCredentials, NETLIFY_ENV } from './config.js'
