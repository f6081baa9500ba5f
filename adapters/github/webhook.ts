import { Type } from '@sinclair/typebox'
import { signatureHeader, webhookText, type WebhookContract } from '../../src/provider-kit/webhook-contract.js'
import { createHmac } from 'node:crypto'
import type { WebhookSteps } from '../../src/provider-kit/manifest.js'
import { asObject, constantTimeEqual, headerValue } from '../../src/provider-kit/signatures.js'

/** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`. */
export function verifyGithub (secret: string, body: Buffer, header: string | undefined) {
  if (!header?.startsWith('sha256=')) return false
  return constantTimeEqual(header, 'sha256=' + createHmac('sha256', secret).update(body).digest('hex'))
}

/** Deliveries name the repository: links with that owner and repo are re-checked. */
export const githubWebhook = (secret: string | undefined): WebhookSteps => ({
  secret,
  contract: GITHUB_WEBHOOK_CONTRACT,
  verify: (key, body, headers) => verifyGithub(key, body, headerValue(headers, 'x-hub-signature-256')),
  read (body, headers) {
    const fullName = asObject(body.repository).full_name
    const [owner, repo] = typeof fullName === 'string' ? fullName.split('/') : []
    return { id: headerValue(headers, 'x-github-delivery'), match: owner && repo ? { owner, repo } : undefined, event: headerValue(headers, 'x-github-event') ?? 'unknown' }
  }
})

/** What the contract says of a delivery: the signature header and the parts the service reads. */
export const GITHUB_WEBHOOK_CONTRACT: WebhookContract = {
  scheme: 'githubSignature',
  header: 'X-Hub-Signature-256',
  signature: '`X-Hub-Signature-256: sha256=<hex HMAC-SHA256(GITHUB_WEBHOOK_SECRET, body)>`',
  headers: {
    'X-Hub-Signature-256': signatureHeader(71, '^sha256=[0-9a-f]{64}$'),
    'X-GitHub-Event': Type.Optional(webhookText(100, 'The event (push, check_suite, …); logged')),
    'X-GitHub-Delivery': Type.Optional(webhookText(200, 'The delivery id: a second delivery with it is acknowledged and ignored'))
  },
  body: Type.Object({
    repository: Type.Optional(Type.Object({
      full_name: Type.Optional(webhookText(200, 'owner/repo: the links whose config names it are re-checked'))
    }))
  }, { description: 'A GitHub webhook payload; only repository.full_name is read' })
}
