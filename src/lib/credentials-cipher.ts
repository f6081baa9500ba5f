import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'

const VERSION = 'v1'

/**
 * AES-256-GCM for provider credentials at rest. The row's identity (project and provider) is the
 * additional authenticated data, so a ciphertext copied onto another row fails to decrypt.
 * Format: v1.<iv>.<tag>.<ciphertext>, base64url parts; the version leaves room for key rotation.
 */
export function createCredentialsCipher (key: Buffer) {
  if (key.length !== 32) throw new Error('credentials key must be 32 bytes')
  // A separate key for fingerprints, so a fingerprint reveals nothing usable about the secret.
  const fingerprintKey = createHmac('sha256', key).update('fingerprint').digest()

  return {
    encrypt (plaintext: unknown, context: string): string {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(context))
      const body = Buffer.concat([cipher.update(JSON.stringify(plaintext), 'utf8'), cipher.final()])
      return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.')
    },

    decrypt<T = unknown>(sealed: string, context: string): T {
      const [version, iv, tag, body] = sealed.split('.')
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('unrecognised credentials format')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAAD(Buffer.from(context))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
      return JSON.parse(text) as T
    },

    /** A short, keyed digest that lets a person tell two credentials apart without seeing them. */
    fingerprint (secret: string): string {
      return 'hmac-sha256:' + createHmac('sha256', fingerprintKey).update(secret).digest('hex').slice(0, 12)
    }
  }
}

export type CredentialsCipher = ReturnType<typeof createCredentialsCipher>
