import { Type, type TSchema } from '@sinclair/typebox'

/**
 * What a provider's webhook delivery carries that the service reads, for the contract. Deliveries
 * are checked by their signature over the raw bytes, not by these schemas: a delivery without a
 * valid signature is 401 whatever its shape, and the providers send many more fields, all ignored.
 */
export interface WebhookContract {
  /** Who signs, and how (for the operation's description). */
  signature: string
  /** The security scheme naming the signature header (components.securitySchemes). */
  scheme: string
  header: string
  headers: Record<string, TSchema>
  body: TSchema
}

/**
 * The signature header's schema. Optional to the validator so that a delivery without one
 * reaches the signature check and is refused as unsigned (401), not as malformed (400).
 */
export const signatureHeader = (maxLength: number, pattern: string) =>
  Type.Optional(Type.String({ maxLength, pattern, description: 'Required: without a valid one the delivery is refused (401)' }))

/** Free text the service reads from a delivery: anything but U+0000, which storage refuses. */
export const webhookText = (maxLength: number, description: string) => Type.String({ maxLength, pattern: '^[^\\u0000]*$', description })

/**
 * A signature as an OpenAPI security scheme: an HMAC over the body is no API key, but a header
 * that must be present and right is the closest OpenAPI has, and it says the operation is not
 * open to anyone.
 */
export const webhookSecurityScheme = (contract: WebhookContract) => ({
  type: 'apiKey' as const,
  in: 'header' as const,
  name: contract.header,
  description: `A provider's webhook signature: ${contract.signature}`
})
