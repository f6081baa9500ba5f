import type { FastifyReply } from 'fastify'

/**
 * Adds names to a Vary value another hook may have set (CORS sets `Origin`), without repeating
 * one or overwriting any; `*` stays `*`.
 */
export function appendVary (existing: unknown, names: readonly string[]): string {
  const current = Array.isArray(existing) ? existing.join(', ') : typeof existing === 'string' ? existing : ''
  if (current === '') return names.join(', ')
  const present = current.split(',').map((name) => name.trim().toLowerCase())
  if (present.includes('*')) return '*'
  const added = names.filter((name) => !present.includes(name.toLowerCase()))
  return added.length === 0 ? current : `${current}, ${added.join(', ')}`
}

/** Adds names to the reply's Vary header, keeping what CORS (or anything before) put there. */
export function varyOn (reply: FastifyReply, names: readonly string[]): void {
  reply.header('vary', appendVary(reply.getHeader('vary'), names))
}
