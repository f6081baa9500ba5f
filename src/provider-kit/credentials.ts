import { Type } from '@sinclair/typebox'

/** What is sealed in a link's credentials. Never leaves the process except towards the provider. */
export interface StoredCredentials {
  token: string
  /** Secret config fields (a manifest's `secretConfig`), kept sealed here instead of in the config. */
  [secretConfigField: string]: string | undefined
}

/** The credentials most providers take: one access token. `writeOnly`: never shown back. */
export const TokenCredentials = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 4096, title: 'Access token', writeOnly: true, description: 'Provider access token; stored encrypted, never returned' })
}, { additionalProperties: false })
