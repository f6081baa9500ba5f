import { Type, type Static } from '@sinclair/typebox'
import type { ProviderKey } from '../../src/domain/providers.js'

/**
 * Netlify's manifest data: its key and label, the link config and credentials it takes, and the
 * environment variables it reads. Facts and their sources: ../shared/reference/provider-api-facts.md
 * section 6, checked against netlify/open-api `swagger.yml` 2.55.0 (N-OAS below).
 */

export const NETLIFY_KEY = 'netlify'
export const NETLIFY_LABEL = 'Netlify'

/**
 * The core's ProviderKey union does not name Netlify until the provider set comes from the
 * registered manifests; this cast is the one place that shows it. Drop it when Netlify is
 * registered (the core's AdapterDefinition, ActionRecordView and test harnesses take a ProviderKey).
 */
export const NETLIFY_PROVIDER_KEY = NETLIFY_KEY as unknown as ProviderKey

/** N-OAS basePath; the version is in the path, no version header. */
export const NETLIFY_DEFAULT_API_URL = 'https://api.netlify.com/api/v1'
/** N-OAS securityDefinitions.netlifyAuth.authorizationUrl is `https://app.netlify.com/authorize`. */
export const NETLIFY_DEFAULT_OAUTH_URL = 'https://app.netlify.com'

/**
 * A site id is a UUID (Site configuration › Site details › Site ID). The API also accepts a
 * site's domain in `{site_id}`, but deploy notifications name the site by its UUID (`site_id`),
 * so only the UUID lets a webhook find the link.
 */
export const NETLIFY_SITE_ID_PATTERN = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'

export const NetlifyLinkConfig = Type.Object({
  siteId: Type.String({ pattern: NETLIFY_SITE_ID_PATTERN, description: 'Netlify site id (a UUID: Site configuration › Site details › Site ID)' })
}, { $id: 'NetlifyLinkConfig', additionalProperties: false })

export type NetlifyConfig = Static<typeof NetlifyLinkConfig>

/** A personal access token (User settings › Applications) or an OAuth token: Netlify tokens carry no scopes. */
export const NetlifyCredentials = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 4096, title: 'Personal access token', writeOnly: true, description: 'Netlify personal access token or OAuth access token' })
}, { $id: 'NetlifyCredentials', additionalProperties: false })

const HTTP_URL = '^https?://[^\\s]+$'

/** The environment variables Netlify reads, in the config schema's style (src/config/env-schema.ts). */
export const NETLIFY_ENV = {
  NETLIFY_API_URL: Type.String({ pattern: HTTP_URL, default: NETLIFY_DEFAULT_API_URL, description: 'Netlify REST API base (its OAuth token endpoint is /oauth/token on the same host)' }),
  NETLIFY_OAUTH_URL: Type.String({ pattern: HTTP_URL, default: NETLIFY_DEFAULT_OAUTH_URL, description: 'Netlify web host for OAuth authorize' }),
  NETLIFY_OAUTH_CLIENT_ID: Type.Optional(Type.String({ minLength: 1, description: 'Netlify OAuth application; unset = connect/reconnect refuse for Netlify' })),
  NETLIFY_OAUTH_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  NETLIFY_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 8, description: 'JWS secret of the sites\' deploy notifications; unset = POST /api/webhooks/netlify refuses every delivery' }))
}

const trimSlash = (url: string) => url.replace(/\/+$/, '')

/** What the adapter needs from the environment, defaults applied. */
export function netlifySettings (env: Partial<Record<keyof typeof NETLIFY_ENV, string | undefined>>) {
  const clientId = env.NETLIFY_OAUTH_CLIENT_ID
  const clientSecret = env.NETLIFY_OAUTH_CLIENT_SECRET
  return {
    apiUrl: trimSlash(env.NETLIFY_API_URL ?? NETLIFY_DEFAULT_API_URL),
    oauth: clientId && clientSecret ? { clientId, clientSecret, webUrl: trimSlash(env.NETLIFY_OAUTH_URL ?? NETLIFY_DEFAULT_OAUTH_URL) } : undefined,
    webhookSecret: env.NETLIFY_WEBHOOK_SECRET
  }
}

export type NetlifySettings = ReturnType<typeof netlifySettings>
