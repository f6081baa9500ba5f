import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox'
import { NO_NUL, ProjectId, Role, Timestamp, ref } from './common.js'
import { PROVIDER_KEYS, type ProviderKey } from '../domain/providers.js'

export const ProviderKeySchema = Type.Union(
  [Type.Literal('github'), Type.Literal('vercel'), Type.Literal('sanity'), Type.Literal('supabase')],
  { $id: 'ProviderKey', description: 'Integration key' }
)

export const GithubLinkConfig = Type.Object({
  owner: Type.String({ pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$', maxLength: 39, description: 'User or organisation' }),
  repo: Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$', maxLength: 100 }),
  // \u0000 excluded as well: validation refuses it in every string, so the pattern says so too.
  branch: Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\s\\u0000~^:?*\\[\\\\]+$', description: 'The tracked branch' })
}, { $id: 'GithubLinkConfig', additionalProperties: false })

export const VercelLinkConfig = Type.Object({
  projectId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$', maxLength: 128, description: 'Vercel project id (prj_…) or name' }),
  teamId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$', maxLength: 128, description: 'team_… for team-owned projects' }))
}, { $id: 'VercelLinkConfig', additionalProperties: false })

export const SanityLinkConfig = Type.Object({
  projectId: Type.String({ pattern: '^[a-z0-9]{1,64}$', maxLength: 64 }),
  dataset: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', maxLength: 64 })
}, { $id: 'SanityLinkConfig', additionalProperties: false })

export const SupabaseLinkConfig = Type.Object({
  projectRef: Type.String({ pattern: '^[a-z0-9]{1,64}$', maxLength: 64 }),
  databaseUrl: Type.Optional(Type.String({
    pattern: '^postgres(ql)?://[^\\s\\u0000]+$',
    maxLength: 2048,
    description: 'For the latency check. Written here, stored encrypted with the credentials; responses mask its password'
  }))
}, { $id: 'SupabaseLinkConfig', additionalProperties: false })

/** The config each provider's link takes; checked against the key before the generic validation. */
export const LINK_CONFIG_SCHEMAS: Record<ProviderKey, TSchema> = {
  github: GithubLinkConfig,
  vercel: VercelLinkConfig,
  sanity: SanityLinkConfig,
  supabase: SupabaseLinkConfig
}

const LinkConfig = Type.Union([ref(GithubLinkConfig), ref(VercelLinkConfig), ref(SanityLinkConfig), ref(SupabaseLinkConfig)], {
  description: 'GithubLinkConfig for github, VercelLinkConfig for vercel, SanityLinkConfig for sanity, SupabaseLinkConfig for supabase'
})

const LinkCredentials = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 4096, pattern: NO_NUL, writeOnly: true, description: 'Provider access token; stored encrypted, never returned' })
}, { additionalProperties: false })

/** "Github" for github: the provider's part of operation and component names. */
export const providerLabel = (key: ProviderKey) => `${key[0]!.toUpperCase()}${key.slice(1)}`

/**
 * One PUT body per provider, its config tied to its key, so generated clients cannot send one
 * provider's config to another's link (operations putGithubIntegrationLink, …).
 */
export const PUT_LINK_BODIES = Object.fromEntries(PROVIDER_KEYS.map((key) => [key, Type.Object({
  config: ref(LINK_CONFIG_SCHEMAS[key]),
  credentials: LinkCredentials
}, { $id: `Put${providerLabel(key)}IntegrationLinkBody`, additionalProperties: false })])) as unknown as Record<ProviderKey, TObject>

/**
 * Any provider's link body, for PUT /api/projects/{projectId}/integrations/{key}: still served
 * (only keys no provider has reach it now, and get UNKNOWN_PROVIDER) but no longer in the contract.
 */
export const PutIntegrationLinkBody = Type.Object({
  config: LinkConfig,
  credentials: LinkCredentials
}, { additionalProperties: false })

export const PatchIntegrationLinkBody = Type.Object({
  enabled: Type.Optional(Type.Boolean()),
  hiddenFromRoles: Type.Optional(Type.Array(ref(Role), { uniqueItems: true, maxItems: 4 }))
}, { $id: 'PatchIntegrationLinkBody', additionalProperties: false, minProperties: 1 })

export const IntegrationLink = Type.Object({
  projectId: ProjectId,
  key: ref(ProviderKeySchema),
  config: LinkConfig,
  enabled: Type.Boolean(),
  hiddenFromRoles: Type.Array(ref(Role), { description: 'Roles that see this integration only as hidden_by_policy' }),
  credentials: Type.Object({
    present: Type.Boolean(),
    fingerprint: Type.Optional(Type.String({ description: 'Keyed digest to tell credentials apart; not reversible' }))
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp
}, { $id: 'IntegrationLink' })

export const IntegrationLinkList = Type.Object({
  projectId: ProjectId,
  items: Type.Array(ref(IntegrationLink))
}, { $id: 'IntegrationLinkList' })

export type IntegrationLink = Static<typeof IntegrationLink>
export type PutIntegrationLinkBody = Static<typeof PutIntegrationLinkBody>
export type PatchIntegrationLinkBody = Static<typeof PatchIntegrationLinkBody>
