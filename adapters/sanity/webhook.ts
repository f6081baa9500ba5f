import { Type } from '@sinclair/typebox'
import { signatureHeader, webhookText, type WebhookContract } from '../../src/provider-kit/webhook-contract.js'
import { createHmac } from 'node:crypto'
import type { WebhookSteps } from '../../src/provider-kit/manifest.js'
import { constantTimeEqual, headerValue } from '../../src/provider-kit/signatures.js'

/** Sanity rejects signatures dated before this (@sanity/webhook). */
const SANITY_EPOCH = Date.UTC(2021, 0, 1)

/**
 * Sanity: `sanity-webhook-signature: t=<epoch ms>,v1=<base64url HMAC-SHA256(secret, t + "." + body)>`,
 * unpadded; parsed as @sanity/webhook does.
 */
export function verifySanity (secret: string, body: Buffer, header: string | undefined) {
  const match = /^t=(\d+)[, ]+v1=([^, ]+)$/.exec(header?.trim() ?? '')
  if (!match) return false
  const timestamp = Number(match[1])
  if (!Number.isSafeInteger(timestamp) || timestamp < SANITY_EPOCH) return false
  const expected = createHmac('sha256', secret).update(`${match[1]}.`).update(body).digest('base64url')
  return constantTimeEqual(match[2]!, expected)
}

/** GROQ webhooks say which project in a header: links to that project are re-checked. */
export const sanityWebhook = (secret: string | undefined): WebhookSteps => ({
  secret,
  contract: SANITY_WEBHOOK_CONTRACT,
  verify: (key, body, headers) => verifySanity(key, body, headerValue(headers, 'sanity-webhook-signature')),
  read (_body, headers) {
    const projectId = headerValue(headers, 'sanity-project-id')
    return {
      id: headerValue(headers, 'idempotency-key') ?? headerValue(headers, 'sanity-transaction-id'),
      match: projectId ? { projectId } : undefined,
      event: headerValue(headers, 'sanity-operation') ?? 'unknown'
    }
  }
})

/** What the contract says of a delivery: the signature header and the parts the service reads. */
export const SANITY_WEBHOOK_CONTRACT: WebhookContract = {
  scheme: 'sanitySignature',
  header: 'Sanity-Webhook-Signature',
  signature: '`sanity-webhook-signature: t=<epoch ms>,v1=<base64url HMAC-SHA256(SANITY_WEBHOOK_SECRET, t + "." + body)>`',
  headers: {
    'Sanity-Webhook-Signature': signatureHeader(200, '^t=\\d+[, ]+v1=[^, ]+$'),
    'Sanity-Project-Id': Type.Optional(webhookText(64, 'The Sanity project: the links whose config names it are re-checked')),
    'Idempotency-Key': Type.Optional(webhookText(200, 'The delivery id: a second delivery with it is acknowledged and ignored')),
    'Sanity-Transaction-Id': Type.Optional(webhookText(200, 'The delivery id when Idempotency-Key is absent')),
    'Sanity-Operation': Type.Optional(webhookText(20, 'create, update or delete; logged'))
  },
  body: Type.Object({}, { description: 'The webhook\'s GROQ projection; not read (the headers say what changed)' })
}
