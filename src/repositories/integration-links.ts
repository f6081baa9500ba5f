import fp from 'fastify-plugin'
import { sql, type Kysely } from 'kysely'
import type { FastifyInstance } from 'fastify'
import type { Database, IntegrationRow, ProviderKey } from '../db/database.js'
import type { CredentialsCipher } from '../lib/credentials-cipher.js'
import type { IntegrationLink, PatchIntegrationLinkBody } from '../schemas/integration-link.js'
import type { Role } from '../schemas/common.js'
import type { StoredCredentials } from '../provider-kit/credentials.js'

export type { StoredCredentials }

/** What the repository needs to know of the registered providers (set by the aggregator). */
export interface LinkProviders {
  /** The provider keys in listing order. */
  keys (): readonly string[]
  /** Config fields of this provider that are secrets: sealed with the credentials, shown masked. */
  secretConfig (key: string): readonly string[]
}

const aad = (projectId: string, provider: ProviderKey) => `${projectId}/${provider}`

/** Replaces the password of a URL so the link can be shown without its secret; anything else is masked whole. */
export function maskSecret (value: string) {
  try {
    const url = new URL(value)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return '***'
  }
}

function toLink (row: IntegrationRow): IntegrationLink {
  return {
    projectId: row.project_id,
    key: row.provider,
    config: row.config as IntegrationLink['config'],
    enabled: row.enabled,
    hiddenFromRoles: row.hidden_from_roles as Role[],
    credentials: row.credentials_encrypted
      ? { present: true, ...(row.credentials_fingerprint ? { fingerprint: row.credentials_fingerprint } : {}) }
      : { present: false },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString()
  }
}

/** Pub/sub channel on which every instance hears of link changes (payload: the project id). */
export const LINKS_CHANGED_CHANNEL = 'links-changed'

export function createIntegrationLinks (db: Kysely<Database>, cipher: CredentialsCipher) {
  const listeners: Array<(projectId: string) => void> = []
  let providers: LinkProviders = { keys: () => [], secretConfig: () => [] }
  const byProviderOrder = (a: IntegrationLink, b: IntegrationLink) => providers.keys().indexOf(a.key) - providers.keys().indexOf(b.key)
  const changed = (projectId: string) => { for (const listener of listeners) listener(projectId) }

  return {
    /** Tells the repository the registered providers (the aggregator does, as providers register). */
    useProviders (source: LinkProviders) {
      providers = source
    },

    /** Called synchronously after every change made through this instance. */
    onChange (listener: (projectId: string) => void) {
      listeners.push(listener)
    },

    async list (projectId: string): Promise<IntegrationLink[]> {
      const rows = await db.selectFrom('project_integrations').selectAll().where('project_id', '=', projectId).execute()
      return rows.map(toLink).sort(byProviderOrder)
    },

    /** Creates or replaces the link; a replaced link starts over with no cached status. */
    async put (projectId: string, provider: ProviderKey, config: Record<string, unknown>, token: string) {
      const secrets: StoredCredentials = { token }
      const shownConfig = { ...config }
      for (const field of providers.secretConfig(provider)) {
        const value = config[field]
        if (typeof value !== 'string') continue
        secrets[field] = value
        shownConfig[field] = maskSecret(value)
      }
      const values = {
        config: JSON.stringify(shownConfig),
        credentials_encrypted: cipher.encrypt(secrets, aad(projectId, provider)),
        credentials_fingerprint: cipher.fingerprint(token),
        updated_at: new Date()
      }
      return db.transaction().execute(async (trx) => {
        await trx.insertInto('projects').values({ id: projectId, team_id: null }).onConflict((oc) => oc.column('id').doNothing()).execute()
        const row = await trx.insertInto('project_integrations')
          .values({ project_id: projectId, provider, ...values })
          .onConflict((oc) => oc.columns(['project_id', 'provider']).doUpdateSet({
            ...values,
            last_status_check: null,
            status_cache: null,
            circuit_breaker_state: null,
            last_good_status: null,
            cache_expires_at: null
          }))
          // xmax is 0 only for a freshly inserted row: tells create (201) from replace (200).
          .returningAll().returning(sql<boolean>`(xmax = 0)`.as('inserted'))
          .executeTakeFirstOrThrow()
        return { link: toLink(row), created: row.inserted }
      }).finally(() => changed(projectId))
    },

    async patch (projectId: string, provider: ProviderKey, patch: PatchIntegrationLinkBody) {
      const row = await db.updateTable('project_integrations')
        .set({
          ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
          ...(patch.hiddenFromRoles === undefined ? {} : { hidden_from_roles: patch.hiddenFromRoles }),
          updated_at: new Date()
        })
        .where('project_id', '=', projectId).where('provider', '=', provider)
        .returningAll().executeTakeFirst()
      changed(projectId)
      return row ? toLink(row) : null
    },

    async remove (projectId: string, provider: ProviderKey) {
      const result = await db.deleteFrom('project_integrations')
        .where('project_id', '=', projectId).where('provider', '=', provider).executeTakeFirst()
      changed(projectId)
      return result.numDeletedRows > 0n
    },

    /** Decrypts a link's credentials for one provider call; callers must not keep or log them. */
    async credentials (projectId: string, provider: ProviderKey): Promise<StoredCredentials | null> {
      const row = await db.selectFrom('project_integrations').select('credentials_encrypted')
        .where('project_id', '=', projectId).where('provider', '=', provider).executeTakeFirst()
      if (!row?.credentials_encrypted) return null
      return cipher.decrypt<StoredCredentials>(row.credentials_encrypted, aad(projectId, provider))
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    integrationLinks: ReturnType<typeof createIntegrationLinks>
  }
}

export default fp(async function integrationLinksPlugin (fastify: FastifyInstance) {
  const links = createIntegrationLinks(fastify.db, fastify.credentials)
  // Other instances keep a short copy of each project's links; tell them to drop it.
  links.onChange((projectId) => {
    fastify.backends.pubsub.publish(LINKS_CHANGED_CHANNEL, projectId)
      .catch((error: unknown) => fastify.log.warn({ err: error, projectId }, 'could not announce a link change'))
  })
  fastify.decorate('integrationLinks', links)
}, { name: 'integration-links', dependencies: ['db', 'credentials', 'backends'], fastify: '5.x' })
