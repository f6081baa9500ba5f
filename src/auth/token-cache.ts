import { RecencyMap } from '../lib/bounded-map.js'

/**
 * Verified tokens remembered by the exact value the caller sent (the Authorization header or the
 * session cookie), so a repeated token costs one map lookup instead of a signature check, a claims
 * check and a copy. Bounded (the least recently used go first, see RecencyMap), and an entry
 * is only ever served while it would still verify: not at or after its token's `exp`, and only under the key set
 * generation it was verified with (a JWKS refetch that changes the set drops every entry; a key
 * removed from the set stops being accepted at that refetch, as without the cache).
 * Failures are never cached: a refused token is checked again each time.
 */
export interface TokenCacheOptions {
  /** Most entries held; 0 turns the cache off. */
  maxEntries: number
  /** The identity provider's key set generation (see createTokenVerifier). */
  generation: () => number
  now?: () => number
}

interface Entry<T> {
  /** The whole credential: the map's key is only its tail. */
  credential: string
  value: T
  expiresAtMs: number
  generation: number
}

/**
 * The map key: the credential's last characters (a JWT's signature). V8 hashes the whole of a string
 * used as a Map key, and a fresh header string is hashed on every request: ~0.5 µs for a 340-byte
 * token, more for an identity provider's longer ones. The tail is hashed instead and the whole
 * compared (a memcmp); two credentials sharing a tail only take turns in the cache.
 */
const KEY_LENGTH = 32
const keyOf = (credential: string) => credential.length > KEY_LENGTH ? credential.slice(-KEY_LENGTH) : credential

export function createTokenCache<T> ({ maxEntries, generation, now = Date.now }: TokenCacheOptions) {
  const entries = new RecencyMap<string, Entry<T>>(maxEntries)
  return {
    get (credential: string): T | undefined {
      const key = keyOf(credential)
      const entry = entries.get(key)
      if (entry === undefined || entry.credential !== credential) return undefined
      if (now() >= entry.expiresAtMs || entry.generation !== generation()) {
        entries.delete(key)
        return undefined
      }
      return entry.value
    },
    /** `generationAtVerify` is the generation read before verifying, so a refetch racing it is not missed. */
    set (credential: string, value: T, expiresAtMs: number, generationAtVerify: number) {
      // A bound of 0 holds nothing (RecencyMap.set); an expired token is not worth holding.
      if (expiresAtMs <= now()) return
      entries.set(keyOf(credential), { credential, value, expiresAtMs, generation: generationAtVerify })
    },
    get size () { return entries.size }
  }
}

/** A Date whose setters throw, frozen: a cached user's expiry can be handed to every request. */
const READONLY_DATE = Object.create(Date.prototype) as Date
for (const name of Object.getOwnPropertyNames(Date.prototype)) {
  if (name.startsWith('set')) {
    Object.defineProperty(READONLY_DATE, name, { value () { throw new TypeError(`Date.${name}: this date is shared and read-only`) } })
  }
}
Object.freeze(READONLY_DATE)

export function readonlyDate (ms: number): Date {
  const date = new Date(ms)
  Object.setPrototypeOf(date, READONLY_DATE)
  return Object.freeze(date)
}
