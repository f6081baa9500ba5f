import createClient, { type ClientOptions } from 'openapi-fetch'
import type { paths, components } from './openapi.js'

export type { paths, components }
export type Schemas = components['schemas']

/**
 * A typed client for the service, generated from openapi.yaml: what backend services use.
 * `token` is the caller's bearer token (a JWT from the host workspace).
 */
export function createIntegrationStatusClient ({ baseUrl, token, ...options }: ClientOptions & { baseUrl: string, token?: string }) {
  return createClient<paths>({
    baseUrl,
    ...options,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(options.headers as Record<string, string> | undefined) }
  })
}
