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
  verify: (key, body, headers) => verifyVercel(key, body, headerValue(headers, 'x-vercel-signature')),
  read (body) {
    const projectId = asObject(asObject(body.payload).project).id
    return { id: typeof body.id === 'string' ? body.id : undefined, match: typeof projectId === 'string' ? { projectId } : undefined, event: String(body.type ?? 'unknown') }
  }
})
