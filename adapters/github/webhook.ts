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
  verify: (key, body, headers) => verifyGithub(key, body, headerValue(headers, 'x-hub-signature-256')),
  read (body, headers) {
    const fullName = asObject(body.repository).full_name
    const [owner, repo] = typeof fullName === 'string' ? fullName.split('/') : []
    return { id: headerValue(headers, 'x-github-delivery'), match: owner && repo ? { owner, repo } : undefined, event: headerValue(headers, 'x-github-event') ?? 'unknown' }
  }
})
