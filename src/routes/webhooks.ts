import { Type } from '@sinclair/typebox'
import { sql } from 'kysely'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ProviderKey } from '../db/database.js'
import type { WebhookDelivery } from '../provider-kit/manifest.js'
import { asObject } from '../provider-kit/signatures.js'
import { AppError } from '../errors.js'
import { errorResponses } from '../schemas/common.js'
import { providerLabel } from '../schemas/integration-link.js'
import { storable } from '../lib/storable.js'
import { createWebhookDeliveries } from '../webhooks/deliveries.js'
import { faultPoint } from '../lib/fault-points.js'

type Delivery = WebhookDelivery

/**
 * PostgreSQL text cannot hold U+0000, yet an authentic delivery may carry one in a field we keep
 * (the delivery id) or look links up by (a repository or project id). Such a delivery is still
 * accepted, not refused: the signature proves the provider sent it, a 400 would only show up as
 * a failed delivery there (and some providers retry a 5xx for half an hour), and what we use it for
 * still works with the NUL replaced by U+FFFD (as the database driver already does with a lone
 * surrogate). The replacement is deterministic, so a redelivery is still recognised; and no
 * link's config can hold U+0000 (validation refuses it), so such a value matches no link.
 */
function storableDelivery ({ id, match, event }: Delivery): Delivery {
  return {
    id: id === undefined ? undefined : storable(id),
    match: match && Object.fromEntries(Object.entries(match).map(([key, value]) => [key, storable(value)])),
    event: storable(event)
  }
}

/**
 * Provider webhooks: one route per registered provider whose manifest has a webhook, its
 * signature verified by the manifest over the raw body. A valid, new delivery re-checks the
 * matching links now (past the cache) and announces their status; a delivery seen before is
 * acknowledged and ignored; a bad or missing signature is 401 and changes nothing.
 */
const webhookRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  // The signature covers the bytes as sent: keep them, and parse JSON only after verifying.
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body))
  // A delivery's claim outlives its slowest legitimate handling: a provider check (with its
  // retry, under PROVIDER_TIMEOUT_MS) plus waiting as long again for another instance's check.
  const deliveries = createWebhookDeliveries(fastify.db, 2 * fastify.config.status.providerTimeoutMs + 2_000)

  for (const { manifest, adapter } of fastify.aggregator.providers()) {
    const webhook = adapter.webhook
    if (!webhook) continue
    const provider = manifest.key
    const label = providerLabel(provider)
    // A provider whose manifest documents no delivery shape is published generically.
    const contract = webhook.contract
    fastify.post(`/api/webhooks/${webhook.path ?? provider}`, {
      // The schemas below document the delivery; what validates it is the signature over the raw
      // bytes (a Buffer here, which no JSON schema describes), checked in the handler.
      validatorCompiler: () => () => true,
      schema: {
        tags: ['webhooks'],
        operationId: `receive${label}Webhook`,
        summary: `${manifest.label} webhook deliveries`,
        description: `Signed by ${manifest.label} with the secret in the service's configuration${contract ? `: ${contract.signature}` : ''}. ` +
          'A missing or wrong signature, or no secret configured, is 401 and changes nothing. A new delivery re-checks the matching links and announces their status; a delivery id handled before is acknowledged and ignored; one still being handled is 409 with Retry-After (handled again if its handler died). Bodies up to 1 MiB.',
        ...(contract ? { security: [{ [contract.scheme]: [] }], headers: Type.Object(contract.headers), body: contract.body } : { security: [] }),
        response: {
          202: Type.Object({
            received: Type.Literal(true),
            duplicate: Type.Boolean({ description: 'This delivery id was handled before; ignored' }),
            refreshed: Type.Integer({ minimum: 0, maximum: 1_000_000, format: 'int32', description: 'Links re-checked because of it' })
          }, { description: 'Received (or recognised as a redelivery)' }),
          ...errorResponses(400, 401, 409, 413, 415)
        }
      }
    }, async (request, reply) => {
      const secret = webhook.secret
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      if (!secret || !webhook.verify(secret, raw, request.headers)) throw new AppError('WEBHOOK_SIGNATURE_INVALID')
      let body: Record<string, unknown>
      try {
        body = raw.length === 0 ? {} : asObject(JSON.parse(raw.toString('utf8')))
      } catch {
        throw new AppError('INVALID_JSON')
      }
      const delivery = storableDelivery(webhook.read(body, request.headers))
      const claim = delivery.id === undefined ? undefined : await deliveries.claim(provider, delivery.id)
      if (claim && 'handled' in claim) {
        if (claim.handled) return reply.code(202).send({ received: true as const, duplicate: true, refreshed: 0 })
        // Another handler holds it: not acknowledged, so the provider's retry (or a redelivery)
        // finds it handled, or taken over if that handler died.
        throw new AppError('WEBHOOK_DELIVERY_IN_FLIGHT', undefined, { headers: { 'retry-after': String(claim.leftS) } })
      }
      const holder = claim?.holder
      faultPoint('after-webhook-claim')
      try {
        const projects = delivery.match ? await matchingProjects(provider, delivery.match) : []
        request.log.info({ provider, event: delivery.event, deliveryId: delivery.id, projects: projects.length }, 'webhook delivery')
        await Promise.all(projects.map((projectId) => fastify.aggregator.refreshProject(projectId, { provider })))
        if (holder) await deliveries.handled(provider, delivery.id!, holder)
        return reply.code(202).send({ received: true as const, duplicate: false, refreshed: projects.length })
      } catch (error) {
        if (holder) await deliveries.release(provider, delivery.id!, holder).catch(() => {})
        throw error
      }
    })
  }

  // Delivery ids are kept a week: providers redeliver for hours (some for ~30 min), never days.
  const prune = setInterval(() => {
    deliveries.prune().catch((error: unknown) => fastify.log.warn({ err: error }, 'could not prune webhook deliveries'))
  }, 60 * 60_000).unref()
  fastify.addHook('onClose', async () => { clearInterval(prune) })

  async function matchingProjects (provider: ProviderKey, match: Record<string, string>) {
    let query = fastify.db.selectFrom('project_integrations').select('project_id').where('provider', '=', provider).where('enabled', '=', true)
    for (const [key, value] of Object.entries(match)) {
      query = query.where(sql<string>`lower(config ->> ${key})`, '=', value.toLowerCase())
    }
    return (await query.execute()).map((row) => row.project_id)
  }
}

export default webhookRoutes
