import type { RouteOptions } from 'fastify'
import { ErrorBody, ref } from './common.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * The error statuses a route can answer because of what it is, not what it does, derived here
 * once instead of listed by hand on every route (routes add their own: 404, 409, 422, …):
 * - 400 and 500 anywhere (a broken %-escape in the URL is a 400 before any schema runs);
 * - 503 anywhere: a dependency down, or the instance shutting down (return503OnClosing);
 * - 401 where `config.auth` asks for a caller, 403 where it names roles or the method is a write
 *   (a cookie-authenticated write without the CSRF token);
 * - 413 and 415 where a body is read;
 * - 429 where `config.rateLimit` applies.
 * A status the route already declares keeps its own schema (e.g. /readyz's 503 is a Readiness).
 */
export function addStandardResponses (route: RouteOptions) {
  const schema = route.schema as (RouteOptions['schema'] & { hide?: boolean, response?: Record<string, unknown> }) | undefined
  if (!schema || schema.hide) return
  const methods = (Array.isArray(route.method) ? route.method : [route.method]).map(String)
  const response = schema.response ??= {}
  const add = (status: number) => { response[status] ??= ref(ErrorBody) }
  add(400)
  add(500)
  add(503)
  const auth = route.config?.auth
  if (auth) {
    add(401)
    if (auth.roles !== undefined || methods.some((m) => !SAFE_METHODS.has(m))) add(403)
  }
  if (methods.some((m) => !SAFE_METHODS.has(m))) {
    add(413)
    add(415)
  }
  if ((route.config as { rateLimit?: unknown } | undefined)?.rateLimit) add(429)
}
