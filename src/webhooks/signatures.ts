import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * The providers' webhook signature schemes, checked against the raw body bytes with a
 * constant-time comparison (../shared/reference/provider-api-facts.md).
 */

function equal (given: string, expected: string) {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`. */
export function verifyGithub (secret: string, body: Buffer, header: string | undefined) {
  if (!header?.startsWith('sha256=')) return false
  return equal(header, 'sha256=' + createHmac('sha256', secret).update(body).digest('hex'))
}

/** Vercel: `x-vercel-signature: <hex HMAC-SHA1(secret, body)>`. */
export function verifyVercel (secret: string, body: Buffer, header: string | undefined) {
  if (!header) return false
  return equal(header, createHmac('sha1', secret).update(body).digest('hex'))
}

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
  return equal(match[2]!, expected)
}
