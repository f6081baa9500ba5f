import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, ProviderKey } from '../db/database.js'
import { AppError } from '../errors.js'

/** How long a user has to finish the provider's consent screen. */
export const STATE_TTL_MS = 10 * 60_000

export interface PendingAuthorization {
  actionId: string | null
  projectId: string
  userId: string
  provider: ProviderKey
  /** The link config to store with the new credentials. */
  config: Record<string, unknown>
}

/**
 * OAuth `state`: `<nonce>.<expiry>.<hmac>`. The HMAC (a key derived from the JWT secret) makes it
 * unforgeable; the row it names binds it to one user, project and provider, and is consumed once.
 */
export function createOAuthStates (db: Kysely<Database>, secret: string, now: () => number) {
  const key = createHmac('sha256', secret).update('oauth-state').digest()
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url')

  return {
    async issue (pending: PendingAuthorization) {
      const nonce = randomBytes(18).toString('base64url')
      const expiresAt = new Date(now() + STATE_TTL_MS)
      await db.insertInto('oauth_states').values({
        nonce,
        action_id: pending.actionId,
        project_id: pending.projectId,
        user_id: pending.userId,
        provider: pending.provider,
        config: JSON.stringify(pending.config),
        expires_at: expiresAt
      }).execute()
      const payload = `${nonce}.${expiresAt.getTime().toString(36)}`
      return { state: `${payload}.${sign(payload)}`, expiresAt }
    },

    /**
     * The authorization a valid, unexpired, unused state names, marked used; else 400. Only its
     * own user may use it: someone who read the consent URL cannot attach their account.
     */
    async consume (state: string, provider: ProviderKey, userId: string): Promise<PendingAuthorization> {
      const [nonce, expiry, signature] = state.split('.')
      const payload = `${nonce}.${expiry}`
      const expected = Buffer.from(sign(payload))
      const given = Buffer.from(signature ?? '')
      if (!nonce || !expiry || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new AppError('OAUTH_STATE_INVALID', 'The authorization state was not issued by this service')
      }
      if (parseInt(expiry, 36) < now()) throw new AppError('OAUTH_STATE_INVALID', 'The authorization state has expired')
      const row = await db.updateTable('oauth_states').set({ used_at: new Date(now()) })
        .where('nonce', '=', nonce).where('used_at', 'is', null).where('provider', '=', provider).where('user_id', '=', userId)
        .returningAll().executeTakeFirst()
      if (!row) throw new AppError('OAUTH_STATE_INVALID', 'The authorization state was already used, or belongs to another user or provider')
      return { actionId: row.action_id, projectId: row.project_id, userId: row.user_id, provider: row.provider, config: row.config }
    }
  }
}

export type OAuthStates = ReturnType<typeof createOAuthStates>
