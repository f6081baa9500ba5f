import { Type, type Static } from '@sinclair/typebox'
import { httpUrl, optionalSecret } from '../../src/provider-kit/env.js'

/**
 * Netlify's manifest data: its key and label, the link config and credentials it takes, and the
 * environment variables it reads. Facts and their sources: ../shared/reference/provider-api-facts.md
 * section 6, checked against netlify/open-api `swagger.yml` 2.55.0 (N-OAS below).
 */

export const NETLIFY_KEY = 'netlify'
export const NETLIFY_LABEL = 'Netlify'

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
  siteId: Type.String({ title: 'Site id', pattern: NETLIFY_SITE_ID_PATTERN, maxLength: 36, description: 'Netlify site id (a UUID: Site configuration › Site details › Site ID)' })
}, { $id: 'NetlifyLinkConfig', additionalProperties: false })

export type NetlifyConfig = Static<typeof NetlifyLinkConfig>

/** A personal access token (User settings › Applications) or an OAuth token: Netlify tokens carry no scopes. */
export const NetlifyCredentials = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 4096, title: 'Access token', writeOnly: true, description: 'Netlify personal access token (User settings › Applications) or OAuth access token; stored encrypted, never returned' })
}, { additionalProperties: false })

/** The environment variables Netlify reads; core validates them at boot and README lists them. */
export const NetlifyEnv = Type.Object({
  NETLIFY_API_URL: httpUrl('Netlify REST API base (its OAuth token endpoint is /oauth/token on the same host)', NETLIFY_DEFAULT_API_URL),
  NETLIFY_OAUTH_URL: httpUrl('Netlify web host for OAuth authorize', NETLIFY_DEFAULT_OAUTH_URL),
  NETLIFY_OAUTH_CLIENT_ID: optionalSecret('Netlify OAuth application\'s client id; unset = connect takes a personal access token'),
  NETLIFY_OAUTH_CLIENT_SECRET: optionalSecret('Netlify OAuth application\'s client secret'),
  NETLIFY_WEBHOOK_SECRET: optionalSecret('JWS secret of the sites\' deploy notifications; unset = POST /api/webhooks/netlify refuses every delivery', 8)
})
