/**
 * Stores `value` as the newest entry of a Map used as a bounded cache: when the map already holds
 * `max` entries, the oldest written goes first (a Map iterates in insertion order, so that is its
 * first key). Memory then stays flat however many distinct keys pass through.
 */
export function setBounded<K, V> (map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key)
  if (map.size >= max) map.delete(map.keys().next().value!)
  map.set(key, value)
}

/**
 * RecencyMap's rule, for a cache that keeps its own order (the status snapshots): whether a hit on an
 * entry last moved at write `stamp` moves it now, `writes` having happened and `held` entries held.
 */
export const movesOnHit = (writes: number, stamp: number, held: number) => writes - stamp >= held >> 1

/**
 * A Map bounded to `max` entries that lets the least recently used go first, cheaply on a hit: a
 * hit moves its entry to the newest end only once as many writes as half the entries held have
 * happened since it last moved. Until then fewer than half the entries are newer than it, so it
 * is never the next to go (in a map of three or more); and a key asked for again and again costs
 * one Map lookup, not the delete and set of strict recency, which showed in the warm request's
 * profile. An approximate LRU: the order follows when entries last moved, not when they were last
 * used, so a hit entry may leave before one used less recently, but never while in the newer half.
 */
export class RecencyMap<K, V> {
  readonly #entries = new Map<K, { value: V, stamp: number }>()
  readonly #max: number
  /** Writes so far (sets and moves): an entry's stamp is this count when it last went to the newest end. */
  #writes = 0

  constructor (max: number) {
    this.#max = max
  }

  get (key: K): V | undefined {
    const slot = this.#entries.get(key)
    if (slot === undefined) return undefined
    if (movesOnHit(this.#writes, slot.stamp, this.#entries.size)) {
      this.#entries.delete(key)
      slot.stamp = ++this.#writes
      this.#entries.set(key, slot)
    }
    return slot.value
  }

  set (key: K, value: V): void {
    if (this.#max <= 0) return
    this.#entries.delete(key)
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(key, { value, stamp: ++this.#writes })
  }

  delete (key: K): boolean {
    return this.#entries.delete(key)
  }

  get size () {
    return this.#entries.size
  }
}
