import { createVerifier, TokenError } from 'fast-jwt'
import { decodeProtectedHeader, errors, jwtVerify } from 'jose'
import { Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { AppError } from '../errors.js'
import { Role } from '../schemas/common.js'
import type { TokenClaims } from '../lib/tokens.js'
import { JwksUnavailableError, type JwksKeys } from './jwks-keys.js'

// sub and team reach PostgreSQL (action owners, override authors, team lookups), whose text
// cannot hold U+0000: such a token is invalid here (401), not a 500 later.
const NO_NUL = '^[^\\u0000]*$'
const Subject = Type.String({ minLength: 1, maxLength: 256, pattern: NO_NUL })
const Roles = Type.Record(Type.String({ maxLength: 128 }), Role)
const Team = Type.String({ maxLength: 256, pattern: NO_NUL })
const ClaimsSchema = Type.Object({ sub: Subject, roles: Roles, team: Type.Optional(Team), exp: Type.Number() })
// Compiled once: every authenticated request checks its claims.
const claimsCheck = TypeCompiler.Compile(ClaimsSchema)
const rolesCheck = TypeCompiler.Compile(Roles)
const teamCheck = TypeCompiler.Compile(Team)
const subjectCheck = TypeCompiler.Compile(Subject)

const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]*$/
/** Far beyond any real token; a header limit (16 KiB) applies to bearers anyway, not to cookies. */
const MAX_TOKEN_LENGTH = 16_384

export interface VerifiedToken extends TokenClaims {
  expiresAt: Date
}

export interface IdpSettings {
  keys: JwksKeys
  algorithms: string[]
  issuer: string
  audience: string[]
  rolesClaim: string
  teamClaim: string
}

export interface VerifierOptions {
  secret: string
  /** Accept HS256 tokens signed with `secret`. */
  hs256: boolean
  clockToleranceSeconds: number
  idp?: IdpSettings
}

/**
 * A claim by name or dot path. Names may hold dots themselves (Auth0's namespaced claims are URLs,
 * `https://acme.example/roles`), so at each level the longest run of segments naming an own
 * property wins, backtracking to shorter ones: `https://acme.example/claims.projects` finds
 * `{"https://acme.example/claims": {"projects": …}}` as well as a claim of that exact name.
 */
export function claimAt (payload: Record<string, unknown>, path: string): unknown {
  return walk(payload, path.split('.'))
}

function walk (value: unknown, segments: string[]): unknown {
  if (segments.length === 0) return value
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
  for (let take = segments.length; take >= 1; take--) {
    const name = segments.slice(0, take).join('.')
    if (!Object.hasOwn(value, name)) continue
    const found = walk((value as Record<string, unknown>)[name], segments.slice(take))
    if (found !== undefined) return found
  }
  return undefined
}

/**
 * The one place a token becomes a user: HS256 with this service's secret, or an identity
 * provider's RS256/ES256/EdDSA token checked against its JWKS. Which one is decided by the header's
 * `alg` family, never by a key the token names: an HS* token is only ever checked with the secret
 * and the key set is never asked for a symmetric key, so a token "signed" with the provider's
 * public key as an HMAC secret (algorithm confusion) fails. Throws AppError: 401 with
 * UNAUTHENTICATED for anything not proven, a TOKEN_* code only once the signature verified,
 * and 503 when the provider's keys cannot be had at all.
 *
 * A cache of verified tokens in front of this must key on `generation()` (changes when the key set
 * does, so a removed key's tokens stop working) and drop entries at `expiresAt`.
 */
export function createTokenVerifier (options: VerifierOptions) {
  const { idp } = options
  const tolerance = options.clockToleranceSeconds
  // No fast-jwt cache: the verified-token cache in front (plugins/auth.ts) already answers a
  // repeated token, a second one would only add a hash of every new token, and with
  // AUTH_TOKEN_CACHE_SIZE=0 every request is then verified, as documented.
  const verifySecret = createVerifier({ key: options.secret, algorithms: ['HS256'], requiredClaims: ['sub', 'exp'], clockTolerance: tolerance * 1000 })

  function fromSecret (token: string): VerifiedToken {
    let payload: unknown
    try {
      payload = verifySecret(token)
    } catch (error) {
      // fast-jwt checks the signature before the time claims.
      const code = (error as TokenError).code
      if (code === TokenError.codes.expired) throw new AppError('TOKEN_EXPIRED')
      if (code === TokenError.codes.inactive) throw new AppError('TOKEN_NOT_YET_VALID')
      throw new AppError('UNAUTHENTICATED', 'The token is invalid')
    }
    if (!claimsCheck.Check(payload)) throw new AppError('UNAUTHENTICATED', 'The token\'s claims are not valid (sub, roles, exp)')
    const { sub, roles, team, exp } = payload
    return { sub, roles, ...(team === undefined ? {} : { team }), expiresAt: new Date(exp * 1000) }
  }

  async function fromIdp (settings: IdpSettings, token: string): Promise<VerifiedToken> {
    let payload: Record<string, unknown>
    try {
      ({ payload } = await jwtVerify(token, settings.keys.getKey, {
        algorithms: settings.algorithms,
        issuer: settings.issuer,
        audience: settings.audience,
        clockTolerance: tolerance,
        requiredClaims: ['sub', 'exp']
      }))
    } catch (error) {
      throw idpFailure(error)
    }
    const sub = payload.sub
    const roles = claimAt(payload, settings.rolesClaim) ?? {}
    const team = claimAt(payload, settings.teamClaim)
    if (!subjectCheck.Check(sub)) throw new AppError('UNAUTHENTICATED', 'The token\'s sub claim is not valid')
    if (!rolesCheck.Check(roles)) throw new AppError('UNAUTHENTICATED', `The token's roles (claim "${settings.rolesClaim}") are not a map of project id to owner, admin, editor or viewer`)
    if (team !== undefined && !teamCheck.Check(team)) throw new AppError('UNAUTHENTICATED', `The token's team (claim "${settings.teamClaim}") is not a string`)
    return { sub, roles, ...(team === undefined ? {} : { team }), expiresAt: new Date((payload.exp as number) * 1000) }
  }

  return {
    async verify (token: string): Promise<VerifiedToken> {
      // Compact JWS only: decoders that skip stray characters (a space, padding) must never see them.
      if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) throw new AppError('UNAUTHENTICATED', 'The token is malformed')
      let alg: unknown
      try {
        alg = decodeProtectedHeader(token).alg
      } catch {
        throw new AppError('UNAUTHENTICATED', 'The token is malformed')
      }
      if (typeof alg === 'string' && alg.startsWith('HS')) {
        if (!options.hs256) throw new AppError('UNAUTHENTICATED', 'HS256 tokens are not accepted here')
        return fromSecret(token)
      }
      if (!idp) throw new AppError('UNAUTHENTICATED', 'The token is invalid')
      return fromIdp(idp, token)
    },
    /** Changes when the identity provider's key set does (0 without one). */
    generation: () => idp?.keys.generation ?? 0
  }
}

/** jose's refusals as catalog errors; jose verifies the signature before any claim. */
function idpFailure (error: unknown): AppError {
  if (error instanceof JwksUnavailableError) {
    return new AppError('SERVICE_UNAVAILABLE', 'The identity provider\'s keys cannot be fetched; try again shortly', { headers: { 'retry-after': '5' } })
  }
  if (error instanceof errors.JWKSNoMatchingKey) return new AppError('TOKEN_KEY_UNKNOWN')
  if (error instanceof errors.JWTExpired && error.claim === 'exp') return new AppError('TOKEN_EXPIRED')
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return new AppError('TOKEN_ISSUER_INVALID')
    if (error.claim === 'aud') return new AppError('TOKEN_AUDIENCE_INVALID')
    if (error.claim === 'nbf' && error.reason === 'check_failed') return new AppError('TOKEN_NOT_YET_VALID')
    return new AppError('UNAUTHENTICATED', `The token's ${error.claim} claim is missing or not valid`)
  }
  return new AppError('UNAUTHENTICATED', 'The token is invalid')
}
