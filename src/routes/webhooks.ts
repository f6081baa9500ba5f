import { Type } from '@sinclair/typebox'
import { sql } from 'kysely'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { ProviderKey } from '../db/database.js'
import { AppError } from '../errors.js'
import { errorResponses } from '../schemas/common.js'
import { WEBHOOK_CONTRACTS } from '../schemas/webhooks.js'
import { storable } from '../lib/storable.js'
import { verifyGithub, verifySanity, verifyVercel } from '../webhooks/signatures.js'

type WebhookProvider = 'github' | 'vercel' | 'sanity'

interface Delivery {
  /** The provider's id for this delivery: a second delivery with it is ignored. */
  id: string | undefined
  /** Links whose config matches: column → value, compared case-insensitively. */
  match: Record<string, string> | undefined
  event: string
}

const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name]
  return typeof value === 'string' ? value : undefined
}

const asObject = (value: unknown): Record<string, unknown> =>
  (typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {})

/** What each provider's delivery says, per the facts file: its id, its event, which links it concerns. */
const READERS: Record<WebhookProvider, (request: FastifyRequest, body: Record<string, unknown>) => Delivery> = {
  github (request, body) {
    const fullName = asObject(body.repository).full_name
    const [owner, repo] = typeof fullName === 'string' ? fullName.split('/') : []
    return { id: header(request, 'x-github-delivery'), match: owner && repo ? { owner, repo } : undefined, event: header(request, 'x-github-event') ?? 'unknown' }
  },
  vercel (_request, body) {
    const projectId = asObject(asObject(body.payload).project).id
    return { id: typeof body.id === 'string' ? body.id : undefined, match: typeof projectId === 'string' ? { projectId } : undefined, event: String(body.type ?? 'unknown') }
  },
  sanity (request) {
    const projectId = header(request, 'sanity-project-id')
    return { id: header(request, 'idempotency-key') ?? header(request, 'sanity-transaction-id'), match: projectId ? { projectId } : undefined, event: header(request, 'sanity-operation') ?? 'unknown' }
  }
}

/**
 * PostgreSQL text cannot hold U+0000, yet an authentic delivery may carry one in a field we keep
 * (the delivery id) or look links up by (a repository or project id). Such a delivery is still
 * accepted, not refused: the signature proves the provider sent it, a 400 would only show up as
 * a failed delivery there (and Sanity retries a 5xx for half an hour), and what we use it for
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

const VERIFY: Record<WebhookProvider, (secret: string, body: Buffer, request: FastifyRequest) => boolean> = {
  github: (secret, body, request) => verifyGithub(secret, body, header(request, 'x-hub-signature-256')),
  vercel: (secret, body, request) => verifyVercel(secret, body, header(request, 'x-vercel-signature')),
  sanity: (secret, body, request) => verifySanity(secret, body, header(request, 'sanity-webhook-signature'))
}

/**
 * Provider webhooks: GitHub (X-Hub-Signature-256), Vercel (x-vercel-signature), Sanity
 * (sanity-webhook-signature), each verified over the raw body in constant time. A valid, new
 * delivery re-checks the matching links now (past the cache) and announces their status; a
 * delivery seen before is acknowledged and ignored; a bad or missing signature is 401 and
 * changes nothing. Webhooks and the durable event stream they feed are issue #5: this is its
 * webhook half only.
 */
const webhookRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  // The signature covers the bytes as sent: keep them, and parse JSON only after verifying.
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body))

  for (const provider of ['github', 'vercel', 'sanity'] as const) {
    const label = `${provider[0]!.toUpperCase()}${provider.slice(1)}`
    const contract = WEBHOOK_CONTRACTS[provider]
    fastify.post(`/api/webhooks/${provider}`, {
      // The schemas below document the delivery; what validates it is the signature over the raw
      // bytes (a Buffer here, which no JSON schema describes), checked in the handler.
      validatorCompiler: () => () => true,
      schema: {
        tags: ['webhooks'],
        operationId: `receive${label}Webhook`,
        summary: `${label} webhook deliveries`,
        description: `Signed by ${label} with the secret in the service's configuration: ${contract.signature}. ` +
          'A missing or wrong signature, or no secret configured, is 401 and changes nothing. A new delivery re-checks the matching links and announces their status; a delivery id seen before is acknowledged and ignored. Bodies up to 1 MiB.',
        security: [{ [contract.scheme]: [] }],
        headers: Type.Object(contract.headers),
        body: contract.body,
        response: {
          202: Type.Object({
            received: Type.Literal(true),
            duplicate: Type.Boolean({ description: 'This delivery id was handled before; ignored' }),
            refreshed: Type.Integer({ minimum: 0, maximum: 1_000_000, format: 'int32', description: 'Links re-checked because of it' })
          }, { description: 'Received (or recognised as a redelivery)' }),
          ...errorResponses(400, 401, 413, 415)
        }
      }
    }, async (request, reply) => {
      const secret = fastify.config.webhookSecrets[provider]
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      if (!secret || !VERIFY[provider](secret, raw, request)) throw new AppError('WEBHOOK_SIGNATURE_INVALID')
      let body: Record<string, unknown>
      try {
        body = raw.length === 0 ? {} : asObject(JSON.parse(raw.toString('utf8')))
      } catch {
        throw new AppError('INVALID_JSON')
      }
      const delivery = storableDelivery(READERS[provider](request, body))
      if (delivery.id !== undefined) {
        const fresh = await fastify.db.insertInto('webhook_deliveries').values({ provider, delivery_id: delivery.id.slice(0, 200) })
          .onConflict((oc) => oc.doNothing()).returning('delivery_id').executeTakeFirst()
        if (!fresh) return reply.code(202).send({ received: true as const, duplicate: true, refreshed: 0 })
      }
      const projects = delivery.match ? await matchingProjects(provider, delivery.match) : []
      request.log.info({ provider, event: delivery.event, deliveryId: delivery.id, projects: projects.length }, 'webhook delivery')
      await Promise.all(projects.map((projectId) => fastify.aggregator.refreshProject(projectId, { provider })))
      return reply.code(202).send({ received: true as const, duplicate: false, refreshed: projects.length })
    })
  }

  // Delivery ids are kept a week: providers redeliver for hours (Sanity ~30 min), never days.
  const prune = setInterval(() => {
    fastify.db.deleteFrom('webhook_deliveries').where('received_at', '<', sql<Date>`now() - interval '7 days'`).execute()
      .catch((error: unknown) => fastify.log.warn({ err: error }, 'could not prune webhook deliveries'))
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
