import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { ProjectId, Role, Timestamp, ref } from './common.js'
import type { ProviderKey } from '../db/database.js'

/**
 * The schemas that depend on the provider set are built from the registered manifests
 * (`providerSchemas`, registered by plugins/provider-schemas.ts before any route); everything
 * else refers to them by $id, typed by the refs below.
 */
export const ProviderKeyRef = Type.Unsafe<ProviderKey>(Type.Ref('ProviderKey'))
/** A link's config: the provider's own config schema; the key tells which. */
const LinkConfigOf = (schema: TSchema) => Type.Unsafe<Record<string, unknown>>(schema)

const putIntegrationLinkBody = (config: TSchema) => Type.Object({
  config: LinkConfigOf(config),
  credentials: Type.Object({
    token: Type.String({ minLength: 1, maxLength: 4096, description: 'Provider access token; stored encrypted, never returned' })
  }, { additionalProperties: false })
}, { $id: 'PutIntegrationLinkBody', additionalProperties: false })

const integrationLink = (config: TSchema) => Type.Object({
  projectId: ProjectId,
  key: ProviderKeyRef,
  config: LinkConfigOf(config),
  enabled: Type.Boolean(),
  hiddenFromRoles: Type.Array(ref(Role), { description: 'Roles that see this integration only as hidden_by_policy' }),
  credentials: Type.Object({
    present: Type.Boolean(),
    fingerprint: Type.Optional(Type.String({ description: 'Keyed digest to tell credentials apart; not reversible' }))
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp
}, { $id: 'IntegrationLink' })

/** What a provider contributes to the contract. */
export interface ProviderSchemaSource { key: string, config: TSchema }

/** ProviderKey, each provider's link config, and the link schemas whose config is one of them. */
export function providerSchemas (providers: readonly ProviderSchemaSource[]) {
  const ProviderKey = Type.Union(providers.map((p) => Type.Literal(p.key)), { $id: 'ProviderKey', description: 'Integration key' })
  const LinkConfig = Type.Union(providers.map((p) => ref(p.config)), {
    description: providers.map((p) => `${p.config.$id} for ${p.key}`).join(', ')
  })
  return [ProviderKey, ...providers.map((p) => p.config), putIntegrationLinkBody(LinkConfig), integrationLink(LinkConfig)]
}

export const PutIntegrationLinkBodyRef = Type.Unsafe<PutIntegrationLinkBody>(Type.Ref('PutIntegrationLinkBody'))
export const IntegrationLinkRef = Type.Unsafe<IntegrationLink>(Type.Ref('IntegrationLink'))

export const PatchIntegrationLinkBody = Type.Object({
  enabled: Type.Optional(Type.Boolean()),
  hiddenFromRoles: Type.Optional(Type.Array(ref(Role), { uniqueItems: true, maxItems: 4 }))
}, { $id: 'PatchIntegrationLinkBody', additionalProperties: false, minProperties: 1 })

export const IntegrationLinkList = Type.Object({
  projectId: ProjectId,
  items: Type.Array(IntegrationLinkRef)
}, { $id: 'IntegrationLinkList' })

export type IntegrationLink = Static<ReturnType<typeof integrationLink>>
export type PutIntegrationLinkBody = Static<ReturnType<typeof putIntegrationLinkBody>>
export type PatchIntegrationLinkBody = Static<typeof PatchIntegrationLinkBody>
