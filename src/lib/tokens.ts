import { createSigner } from 'fast-jwt'
import type { Role } from '../schemas/common.js'

export interface TokenClaims {
  sub: string
  /** Project id -> the caller's role in it. */
  roles: Record<string, Role>
  /** The host workspace's team, for rollout rules. */
  team?: string
}

/** Signs an HS256 session token, as the host workspace would; used by `npm run token` and tests. */
export function signToken (secret: string, claims: TokenClaims, { expiresInSeconds = 12 * 3600 } = {}) {
  const sign = createSigner({ key: secret, algorithm: 'HS256', expiresIn: expiresInSeconds * 1000 })
  return sign({ ...claims })
}
