import type { FastifyReply } from 'fastify'

/**
 * Adds `field` to the reply's Vary header, keeping what is there (CORS puts `Origin` in it, a
 * route `Accept-Encoding` or `Authorization`): setting Vary outright would drop the others.
 * Case-insensitive, no duplicates; `*` already covers everything.
 */
export function appendVary (reply: FastifyReply, field: string) {
  const current = reply.getHeader('vary')
  if (current === undefined) {
    reply.header('vary', field)
    return
  }
  const value = Array.isArray(current) ? current.join(', ') : String(current)
  if (value === '*' || hasField(value, field)) return
  reply.header('vary', value === '' ? field : `${value}, ${field}`)
}

function hasField (value: string, field: string) {
  const wanted = field.toLowerCase()
  for (const part of value.split(',')) {
    if (part.trim().toLowerCase() === wanted) return true
  }
  return false
}
