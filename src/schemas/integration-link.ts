import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { NO_NUL, ProjectId, Role, Timestamp, ref } from './common.js'
import type { ProviderKey } from '../db/database.js'
import { EXTENSIBLE_UNION } from '../openapi-diff.js'

/**
 * The schemas that depend on the provider set are built from the registered manifests
 * (`providerSchemas`, registered by plugins/provider-schemas.ts before any route); everything
 * else refers to them by $id, typed by the refs below.
 */
export const ProviderKeyRef = Type.Unsafe<ProviderKey>(Type.Ref('ProviderKey'))
/** A link's config: the provider's own config schema; the key tells which. */
const LinkConfigOf = (schema: TSchema) => Type.Unsafe<Record<string, unknown>>(schema)

const LinkCredentials = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 4096, pattern: NO_NUL, writeOnly: true, description: 'Provider access token; stored encrypted, never returned' })
}, { additionalProperties: false })

/** "Acme" for acme: the provider's part of operation and component names. */
export const providerLabel = (key: string) => `${key[0]!.toUpperCase()}${key.slice(1)}`

const putLinkBodyId = (key: string) => `Put${providerLabel(key)}IntegrationLinkBody`

/**
 * One PUT body per provider, its config tied to its key, so generated clients cannot send one
 * provider's config to another's link (operations put<Key>IntegrationLink).
 */
const putLinkBody = (key: string, config: TSchema) => Type.Object({
  config: LinkConfigOf(ref(config)),
  credentials: LinkCredentials
}, { $id: putLinkBodyId(key), additionalProperties: false })

/** The registered PUT body of one provider, by $id. */
export const PutLinkBodyRef = (key: string) => Type.Unsafe<PutIntegrationLinkBody>(Type.Ref(putLinkBodyId(key)))

/**
 * Any provider's link body, for PUT /api/projects/{projectId}/integrations/{key}: still served
 * (only keys no provider has reach it now, and get UNKNOWN_PROVIDER) but not in the contract;
 * the key's own config schema is checked before this one.
 */
export const PutIntegrationLinkBody = Type.Object({
  config: Type.Record(Type.String(), Type.Unknown()),
  credentials: LinkCredentials
}, { additionalProperties: false })

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
    description: providers.map((p) => `${p.config.$id} for ${p.key}`).join(', '),
    // The item's key tells which config it is; a new provider adds both, and a client tolerates
    // an unknown config exactly as it tolerates the unknown key (src/openapi-diff.ts).
    [EXTENSIBLE_UNION]: true
  })
  return [ProviderKey, ...providers.map((p) => p.config), ...providers.map((p) => putLinkBody(p.key, p.config)), integrationLink(LinkConfig)]
}

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
export type PutIntegrationLinkBody = Static<typeof PutIntegrationLinkBody>
export type PatchIntegrationLinkBody = Static<typeof PatchIntegrationLinkBody>
