/**
 * A route's hook option as a list (Fastify takes one function or an array), so an onRoute hook
 * can add its own hook to a route without dropping the route's.
 */
export function toArray<T> (value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value]
}
