import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import { signatureHeader, webhookText, type WebhookContract } from '../../src/provider-kit/webhook-contract.js'
import type { WebhookSteps } from '../../src/provider-kit/manifest.js'
import { headerValue } from '../../src/provider-kit/signatures.js'
import { isRecord } from './failures.js'

/**
 * Netlify deploy notifications (Site configuration › Notifications › Deploy notifications ›
 * HTTP POST request). The body is the deploy (N-OAS `definitions.deploy`: `id`, `site_id`,
 * `state`, `context`, …). With a "JWS secret token" set, each request carries
 * `X-Webhook-Signature`: a JWT signed HS256 with that secret whose claims are `iss: "netlify"`
 * and `sha256`, the hex SHA-256 of the raw body (docs.netlify.com/site-deploys/notifications/
 * #payload-signature, whose example verifies the JWT, then compares `sha256` with the body's
 * digest; the redwoodjs/graphql#6675 discussion quotes it; Netlify's own CLI signs its JWTs with
 * `issuer: 'netlify'`). Unlike GitHub's or Vercel's HMAC over the body, the HMAC here covers the
 * JWT, and the JWT binds the body through its hash: both checks are needed.
 */

export const NETLIFY_SIGNATURE_HEADER = 'x-webhook-signature'
/** Set by Netlify's outgoing webhooks to the event's name (e.g. `deploy_created`) [observed in third-party receivers]. */
export const NETLIFY_EVENT_HEADER = 'x-netlify-event'
/** The path segment of the webhook route: POST /api/webhooks/netlify. */
export const NETLIFY_WEBHOOK_SEGMENT = 'netlify'

const BASE64URL = /^[A-Za-z0-9_-]+$/

function equal (a: Buffer, b: Buffer) {
  return a.length === b.length && timingSafeEqual(a, b)
}

function jsonSegment (segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    return isRecord(value) ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether `header` is Netlify's signature of `body` under `secret`. Refuses a missing or
 * malformed token, any `alg` but HS256 (so never `none`, nor a public-key algorithm keyed with
 * the secret), a header with `crit` extensions (RFC 7515 §4.1.11: not understood, so not
 * accepted), a bad HMAC, an `iss` other than `netlify`, a `sha256` that is not the body's, and
 * an `exp` in the past when Netlify sets one. Comparisons of secret-derived values are constant-time.
 */
export function verifyNetlifySignature (secret: string, body: Buffer, header: string | undefined, now = Date.now()): boolean {
  if (!secret || header === undefined) return false
  const parts = header.trim().split('.')
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) return false
  const [encodedHeader, encodedClaims, encodedSignature] = parts as [string, string, string]

  const jose = jsonSegment(encodedHeader)
  if (!jose || jose.alg !== 'HS256' || 'crit' in jose) return false
  if (jose.typ !== undefined && (typeof jose.typ !== 'string' || jose.typ.toUpperCase() !== 'JWT')) return false

  // Compared as text: decoding first would let the unused bits of the last character vary.
  const expected = createHmac('sha256', secret).update(`${encodedHeader}.${encodedClaims}`).digest('base64url')
  if (!equal(Buffer.from(encodedSignature), Buffer.from(expected))) return false

  const claims = jsonSegment(encodedClaims)
  if (!claims || claims.iss !== 'netlify' || typeof claims.sha256 !== 'string') return false
  if (claims.exp !== undefined && (typeof claims.exp !== 'number' || claims.exp * 1000 <= now)) return false
  const digest = createHash('sha256').update(body).digest('hex')
  return equal(Buffer.from(claims.sha256.toLowerCase()), Buffer.from(digest))
}

export interface NetlifyDelivery {
  /**
   * Netlify sends no delivery id; a redelivery repeats the same deploy body, so the deploy, its
   * state and its update time identify one notification (a new state is a new notification).
   */
  id: string | undefined
  /** Links to refresh: config column → value (the route compares case-insensitively). */
  match: { siteId: string } | undefined
  /** The event name from `X-Netlify-Event`, else `deploy_<state>` from the body. */
  event: string
}

/** What a verified deploy notification says: which site to refresh, and which event it was. */
export function readNetlifyDelivery (headers: Record<string, string | string[] | undefined>, body: Record<string, unknown>): NetlifyDelivery {
  const eventHeader = headers[NETLIFY_EVENT_HEADER]
  const state = typeof body.state === 'string' ? body.state : undefined
  const event = typeof eventHeader === 'string' && eventHeader !== '' ? eventHeader : state ? `deploy_${state}` : 'unknown'
  const siteId = typeof body.site_id === 'string' && body.site_id !== '' ? body.site_id : undefined
  const deployId = typeof body.id === 'string' && body.id !== '' ? body.id : undefined
  const updatedAt = typeof body.updated_at === 'string' ? body.updated_at : ''
  return {
    id: deployId === undefined ? undefined : `${deployId}:${state ?? ''}:${updatedAt}:${event}`,
    match: siteId === undefined ? undefined : { siteId },
    event
  }
}

/** The manifest's webhook: POST /api/webhooks/netlify; links whose `siteId` matches are re-checked. */
export const netlifyWebhook = (secret: string | undefined): WebhookSteps => ({
  path: NETLIFY_WEBHOOK_SEGMENT,
  secret,
  contract: NETLIFY_WEBHOOK_CONTRACT,
  verify: (key, body, headers) => verifyNetlifySignature(key, body, headerValue(headers, NETLIFY_SIGNATURE_HEADER)),
  read: (body, headers) => readNetlifyDelivery(headers, body)
})

/** What the contract says of a delivery: the signature header and the parts the service reads. */
export const NETLIFY_WEBHOOK_CONTRACT: WebhookContract = {
  scheme: 'netlifySignature',
  header: 'X-Webhook-Signature',
  signature: '`X-Webhook-Signature: <JWS>`, HS256 with NETLIFY_WEBHOOK_SECRET (the deploy notification\'s JWS secret token), claims `iss: "netlify"` and `sha256`, the hex SHA-256 of the body',
  headers: {
    'X-Webhook-Signature': signatureHeader(4096, '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$'),
    'X-Netlify-Event': Type.Optional(webhookText(100, 'The event (deploy_created, deploy_failed, …); logged, and part of the delivery\'s identity'))
  },
  body: Type.Object({
    id: Type.Optional(webhookText(200, 'The deploy id; with state, updated_at and the event it identifies the delivery (a second one is acknowledged and ignored)')),
    site_id: Type.Optional(webhookText(128, 'The site\'s UUID: the links whose config names it are re-checked')),
    state: Type.Optional(webhookText(100, 'The deploy\'s state (building, ready, error, …); the event when X-Netlify-Event is absent')),
    updated_at: Type.Optional(webhookText(100, 'When the deploy last changed'))
  }, { description: 'A Netlify deploy notification (the deploy); only id, site_id, state and updated_at are read' })
}
