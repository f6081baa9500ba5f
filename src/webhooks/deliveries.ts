import { randomUUID } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/database.js'

/**
 * Webhook deliveries de-duplicated by the provider's id, as claims that expire: a delivery is
 * claimed (its row, with a holder and a lease), handled, then marked handled. A redelivery of a
 * handled one, or of one still being handled under a live lease, is a duplicate; a redelivery of
 * one whose handler died (never marked, lease run out) takes it over and is handled again. Before
 * leases, a handler dying between the claim and the refresh left the id "seen" for a week, and
 * the provider's redelivery was acknowledged and ignored.
 */
export function createWebhookDeliveries (db: Kysely<Database>, leaseMs: number) {
  const ids = (provider: string, deliveryId: string) => ({ provider, delivery_id: deliveryId.slice(0, 200) })

  return {
    /**
     * This handler's claim on the delivery (a holder to mark it with); else whether the delivery
     * was handled (a duplicate) or is still held by a handler, for how many more seconds at most.
     */
    async claim (provider: string, deliveryId: string): Promise<{ holder: string } | { handled: boolean, leftS: number }> {
      const holder = randomUUID()
      const lease = sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`
      // One statement: of two racing redeliveries, PostgreSQL lets exactly one insert or take over.
      const row = await db.insertInto('webhook_deliveries')
        .values({ ...ids(provider, deliveryId), claimed_by: holder, lease_until: lease })
        .onConflict((oc) => oc.columns(['provider', 'delivery_id'])
          .doUpdateSet({ claimed_by: holder, lease_until: lease, received_at: sql<Date>`now()` })
          .where('webhook_deliveries.handled_at', 'is', null)
          .where('webhook_deliveries.lease_until', '<', sql<Date>`now()`))
        .returning('delivery_id')
        .executeTakeFirst()
      if (row) return { holder }
      const seen = await db.selectFrom('webhook_deliveries')
        .select(['handled_at', sql<number>`ceil(extract(epoch from lease_until - now()))::int`.as('left_s')])
        .where('provider', '=', provider).where('delivery_id', '=', ids(provider, deliveryId).delivery_id)
        .executeTakeFirst()
      // Gone between the two statements (a failed handler gave it back): the provider may retry.
      return { handled: seen ? seen.handled_at !== null : false, leftS: Math.max(1, seen?.left_s ?? 1) }
    },

    /** The delivery's work is done: later redeliveries are duplicates. */
    async handled (provider: string, deliveryId: string, holder: string) {
      await db.updateTable('webhook_deliveries').set({ handled_at: sql<Date>`now()`, lease_until: null })
        .where('provider', '=', provider).where('delivery_id', '=', ids(provider, deliveryId).delivery_id)
        .where('claimed_by', '=', holder)
        .execute()
    },

    /** The handler failed: the claim is given back so a redelivery is handled, not ignored. */
    async release (provider: string, deliveryId: string, holder: string) {
      await db.deleteFrom('webhook_deliveries')
        .where('provider', '=', provider).where('delivery_id', '=', ids(provider, deliveryId).delivery_id)
        .where('claimed_by', '=', holder).where('handled_at', 'is', null)
        .execute()
    },

    /** Delivery ids are kept a week: providers redeliver for hours (some ~30 min), never days. */
    async prune () {
      await db.deleteFrom('webhook_deliveries').where('received_at', '<', sql<Date>`now() - interval '7 days'`).execute()
    }
  }
}
