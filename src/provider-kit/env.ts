import { Type } from '@sinclair/typebox'
import type { OAuthClient } from './manifest.js'

/**
 * Building blocks for a manifest's `env` schema. Every variable is a string in the environment;
 * an empty one counts as unset. Core validates them at boot and names the variable on failure.
 */

const HTTP_URL = '^https?://[^\\s]+$'

/** An http(s) base URL with its default. `url: true` makes core also parse it (and trim a trailing slash). */
export const httpUrl = (description: string, defaultValue: string, pattern = HTTP_URL) =>
  Type.String({ pattern, description, default: defaultValue, url: true })

/** An optional secret (OAuth client secret, webhook secret); never echoed. */
export const optionalSecret = (description: string, minLength = 1) => Type.Optional(Type.String({ minLength, description }))

/** An OAuth app needs both halves; one without the other stops boot. */
export function oauthClient (idName: string, clientId: string | undefined, clientSecret: string | undefined): OAuthClient | undefined {
  if ((clientId === undefined) !== (clientSecret === undefined)) {
    throw new Error(`${idName}: set both the CLIENT_ID and the CLIENT_SECRET of a provider's OAuth app, or neither`)
  }
  return clientId && clientSecret ? { clientId, clientSecret } : undefined
}
