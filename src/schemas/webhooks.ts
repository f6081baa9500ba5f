import { Type, type TSchema } from '@sinclair/typebox'
import { NO_NUL } from './common.js'

/**
 * What each provider's webhook delivery carries that the service reads (src/routes/webhooks.ts),
 * for the contract. Deliveries are checked by their signature over the raw bytes, not by these
 * schemas: a delivery without a valid signature is 401 whatever its shape, and the providers
 * send many more fields, all ignored.
 */

const Text = (maxLength: number, description: string) => Type.String({ maxLength, pattern: NO_NUL, description })

export interface WebhookContract {
  /** Who signs, and how (for the operation's description). */
  signature: string
  /** The security scheme naming the signature header (components.securitySchemes). */
  scheme: string
  header: string
  headers: Record<string, TSchema>
  body: TSchema
}

export const WEBHOOK_CONTRACTS = {
  github: {
    scheme: 'githubSignature',
    header: 'X-Hub-Signature-256',
    signature: '`X-Hub-Signature-256: sha256=<hex HMAC-SHA256(GITHUB_WEBHOOK_SECRET, body)>`',
    headers: {
      'X-Hub-Signature-256': Type.Optional(Type.String({ maxLength: 71, pattern: '^sha256=[0-9a-f]{64}$', description: 'Required: without a valid one the delivery is refused (401)' })),
      'X-GitHub-Event': Type.Optional(Text(100, 'The event (push, check_suite, …); logged')),
      'X-GitHub-Delivery': Type.Optional(Text(200, 'The delivery id: a second delivery with it is acknowledged and ignored'))
    },
    body: Type.Object({
      repository: Type.Optional(Type.Object({
        full_name: Type.Optional(Text(200, 'owner/repo: the links whose config names it are re-checked'))
      }))
    }, { description: 'A GitHub webhook payload; only repository.full_name is read' })
  },
  vercel: {
    scheme: 'vercelSignature',
    header: 'X-Vercel-Signature',
    signature: '`x-vercel-signature: <hex HMAC-SHA1(VERCEL_WEBHOOK_SECRET, body)>` (the webhook\'s secret or the integration\'s client secret)',
    headers: {
      'X-Vercel-Signature': Type.Optional(Type.String({ maxLength: 40, pattern: '^[0-9a-f]{40}$', description: 'Required: without a valid one the delivery is refused (401)' }))
    },
    body: Type.Object({
      id: Type.Optional(Text(200, 'The delivery id: a second delivery with it is acknowledged and ignored')),
      type: Type.Optional(Text(100, 'The event (deployment.succeeded, …); logged')),
      payload: Type.Optional(Type.Object({
        project: Type.Optional(Type.Object({
          id: Type.Optional(Text(128, 'The Vercel project id: the links whose config names it are re-checked'))
        }))
      }))
    }, { description: 'A Vercel webhook payload; only id, type and payload.project.id are read' })
  },
  sanity: {
    scheme: 'sanitySignature',
    header: 'Sanity-Webhook-Signature',
    signature: '`sanity-webhook-signature: t=<epoch ms>,v1=<base64url HMAC-SHA256(SANITY_WEBHOOK_SECRET, t + "." + body)>`',
    headers: {
      'Sanity-Webhook-Signature': Type.Optional(Type.String({ maxLength: 200, pattern: '^t=\\d+[, ]+v1=[^, ]+$', description: 'Required: without a valid one the delivery is refused (401)' })),
      'Sanity-Project-Id': Type.Optional(Text(64, 'The Sanity project: the links whose config names it are re-checked')),
      'Idempotency-Key': Type.Optional(Text(200, 'The delivery id: a second delivery with it is acknowledged and ignored')),
      'Sanity-Transaction-Id': Type.Optional(Text(200, 'The delivery id when Idempotency-Key is absent')),
      'Sanity-Operation': Type.Optional(Text(20, 'create, update or delete; logged'))
    },
    body: Type.Object({}, { description: 'The webhook\'s GROQ projection; not read (the headers say what changed)' })
  }
} satisfies Record<'github' | 'vercel' | 'sanity', WebhookContract>

/**
 * The signatures as OpenAPI security schemes: an HMAC over the body is no API key, but a header
 * that must be present and right is the closest OpenAPI has, and it says these operations are
 * not open to anyone.
 */
export const WEBHOOK_SECURITY_SCHEMES = Object.fromEntries(Object.values(WEBHOOK_CONTRACTS).map((contract) => [contract.scheme, {
  type: 'apiKey' as const,
  in: 'header' as const,
  name: contract.header,
  description: `A provider's webhook signature: ${contract.signature}`
}]))
