import { Type } from '@sinclair/typebox'
import { signatureHeader, webhookText, type WebhookContract } from '../../src/provider-kit/webhook-contract.js'
import { createHmac } from 'node:crypto'
import type { WebhookSteps } from '../../src/provider-kit/manifest.js'
import { asObject, constantTimeEqual, headerValue } from '../../src/provider-kit/signatures.js'

/** Vercel: `x-vercel-signature: <hex HMAC-SHA1(secret, body)>`. */
export function verifyVercel (secret: string, body: Buffer, header: string | undefined) {
  if (!header) return false
  return constantTimeEqual(header, createHmac('sha1', secret).update(body).digest('hex'))
}

/** Deliveries carry `payload.project.id`: links to that project are re-checked. */
export const vercelWebhook = (secret: string | undefined): WebhookSteps => ({
  secret,
  contract: VERCEL_WEBHOOK_CONTRACT,
  verify: (key, body, headers) => verifyVercel(key, body, headerValue(headers, 'x-vercel-signature')),
  read (body) {
    const projectId = asObject(asObject(body.payload).project).id
    return { id: typeof body.id === 'string' ? body.id : undefined, match: typeof projectId === 'string' ? { projectId } : undefined, event: String(body.type ?? 'unknown') }
  }
})

/** What the contract says of a delivery: the signature header and the parts the service reads. */
export const VERCEL_WEBHOOK_CONTRACT: WebhookContract = {
  scheme: 'vercelSignature',
  header: 'X-Vercel-Signature',
  signature: '`x-vercel-signature: <hex HMAC-SHA1(VERCEL_WEBHOOK_SECRET, body)>` (the webhook\'s secret or the integration\'s client secret)',
  headers: {
    'X-Vercel-Signature': signatureHeader(40, '^[0-9a-f]{40}$')
  },
  body: Type.Object({
    id: Type.Optional(webhookText(200, 'The delivery id: a second delivery with it is acknowledged and ignored')),
    type: Type.Optional(webhookText(100, 'The event (deployment.succeeded, …); logged')),
    payload: Type.Optional(Type.Object({
      project: Type.Optional(Type.Object({
        id: Type.Optional(webhookText(128, 'The Vercel project id: the links whose config names it are re-checked'))
      }))
    }))
  }, { description: 'A Vercel webhook payload; only id, type and payload.project.id are read' })
}
