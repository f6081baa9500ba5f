import http from 'node:http'
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
import { SignJWT, type JWTPayload } from 'jose'
import type { Owner } from './instance.js'

export type Algorithm = 'RS256' | 'ES256' | 'EdDSA'

export interface SigningKey {
  kid: string
  alg: Algorithm
  privateKey: KeyObject
  publicKey: KeyObject
  /** The public key as the JWKS lists it. */
  jwk: Record<string, unknown>
}

export const TEST_ISSUER = 'https://idp.example.test/'
export const TEST_AUDIENCE = 'integration-status'

/** A fresh key pair made with node:crypto, as an identity provider would hold it. */
export function generateSigningKey (alg: Algorithm, kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`): SigningKey {
  const { privateKey, publicKey } = alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')
  return { kid, alg, privateKey, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } }
}

export interface JwksServer {
  /** The JWKS URL (AUTH_JWKS_URL). */
  url: string
  /** The keys it serves, in order; change them to rotate or remove keys. */
  keys: SigningKey[]
  /** The Cache-Control header it answers with ('' = none). */
  cacheControl: string
  /** false: every request gets a 503 (the provider is down). */
  up: boolean
  /** Requests received so far. */
  fetches: number
  /** An env for the service trusting this provider. */
  env (extra?: Record<string, string>): Record<string, string>
  /** Signs a token with `key` (default: the first served), with the issuer and audience set unless overridden. */
  sign (claims: JWTPayload, options?: { key?: SigningKey, expiresInSeconds?: number, header?: Record<string, unknown> }): Promise<string>
  close (): Promise<void>
}

/**
 * A real identity provider's JWKS endpoint on loopback: serves the public halves of keys the test
 * generated, with a Cache-Control the test controls, counts its fetches and can go down.
 */
export async function startJwksServer (owner: Owner, keys: SigningKey[] = [generateSigningKey('RS256')]): Promise<JwksServer> {
  const server = http.createServer((request, response) => {
    jwks.fetches++
    if (!jwks.up) {
      response.writeHead(503, { 'content-type': 'text/plain' }).end('down')
      return
    }
    response.writeHead(200, { 'content-type': 'application/json', ...(jwks.cacheControl ? { 'cache-control': jwks.cacheControl } : {}) })
    response.end(JSON.stringify({ keys: jwks.keys.map((key) => key.jwk) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const jwks: JwksServer = {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    keys,
    cacheControl: 'max-age=600',
    up: true,
    fetches: 0,
    env (extra = {}) {
      return { AUTH_JWKS_URL: jwks.url, AUTH_ISSUER: TEST_ISSUER, AUTH_AUDIENCE: TEST_AUDIENCE, ...extra }
    },
    async sign (claims, { key = jwks.keys[0]!, expiresInSeconds = 3600, header = {} } = {}) {
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({ iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: now, exp: now + expiresInSeconds, ...claims })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
        .sign(key.privateKey)
    },
    async close () {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }
  owner.teardown(() => jwks.close())
  return jwks
}
