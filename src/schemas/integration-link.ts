import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { ProjectId, Role, Timestamp, ref } from './common.js'
import type { ProviderKey } from '../domain/providers.js'

export const ProviderKeySchema = Type.Union(
  [Type.Literal('github'), Type.Literal('vercel'), Type.Literal('sanity'), Type.Literal('supabase')],
  { $id: 'ProviderKey', description: 'Integration key' }
)

export const GithubLinkConfig = Type.Object({
  owner: Type.String({ pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$', description: 'User or organisation' }),
  repo: Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$' }),
  branch: Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\s~^:?*\\[\\\\]+$', description: 'The tracked branch' })
}, { $id: 'GithubLinkConfig', additionalProperties: false })

export const VercelLinkConfig = Type.Object({
  projectId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$', description: 'Vercel project id (prj_…) or name' }),
  teamId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$', description: 'team_… for team-owned projects' }))
}, { $id: 'VercelLinkConfig', additionalProperties: false })

export const SanityLinkConfig = Type.Object({
  projectId: Type.String({ pattern: '^[a-z0-9]{1,64}$' }),
  dataset: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' })
}, { $id: 'SanityLinkConfig', additionalProperties: false })

export const SupabaseLinkConfig = Type.Object({
  projectRef: Type.String({ pattern: '^[a-z0-9]{1,64}$' }),
  databaseUrl: Type.Optional(Type.String({
    pattern: '^postgres(ql)?://[^\\s]+$',
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

export const PutIntegrationLinkBody = Type.Object({
  config: LinkConfig,
  credentials: Type.Object({
    token: Type.String({ minLength: 1, maxLength: 4096, description: 'Provider access token; stored encrypted, never returned' })
  }, { additionalProperties: false })
}, { $id: 'PutIntegrationLinkBody', additionalProperties: false })

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
