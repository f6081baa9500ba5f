import { setBounded } from '../lib/bounded-map.js'

/**
 * Verified tokens remembered by the exact value the caller sent (the Authorization header or the
 * session cookie), so a repeated token costs one map lookup instead of a signature check, a claims
 * check and a copy. Bounded (least recently used goes first), and an entry is only ever served
 * while it would still verify: not at or after its token's `exp`, and only under the key set
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
  value: T
  expiresAtMs: number
  generation: number
}

export function createTokenCache<T> ({ maxEntries, generation, now = Date.now }: TokenCacheOptions) {
  const entries = new Map<string, Entry<T>>()
  return {
    get (key: string): T | undefined {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      if (now() >= entry.expiresAtMs || entry.generation !== generation()) {
        entries.delete(key)
        return undefined
      }
      // Most recently used last: the first key is setBounded's eviction victim.
      setBounded(entries, key, entry, maxEntries)
      return entry.value
    },
    /** `generationAtVerify` is the generation read before verifying, so a refetch racing it is not missed. */
    set (key: string, value: T, expiresAtMs: number, generationAtVerify: number) {
      if (maxEntries === 0 || expiresAtMs <= now()) return
      setBounded(entries, key, { value, expiresAtMs, generation: generationAtVerify }, maxEntries)
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
