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
