import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { loadContract } from '../contract/contract-checker.js'
import { ERROR_CODES } from '../../src/errors.js'

/**
 * The operations of openapi.yaml and generic, minimal valid requests for them, for the security
 * and fuzz suites: every documented route is exercised without a hand-written list of URLs.
 */

export const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const

export interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema: any
}

export interface Operation {
  /** e.g. "get /api/integrations/status" */
  id: string
  method: typeof METHODS[number]
  path: string
  parameters: Parameter[]
  /** The request body's JSON schema, $refs unresolved; undefined without a body. */
  bodySchema: any
  /** JSON pointer of the body schema inside the document (for ajv). */
  bodyRef: string | undefined
  security: Array<Record<string, unknown>> | undefined
}

const escape = (p: string) => p.replaceAll('~', '~0').replaceAll('/', '~1')

export async function loadOperations (): Promise<{ operations: Operation[], document: any, ajv: Awaited<ReturnType<typeof loadContract>>['ajv'] }> {
  const { document, ajv } = await loadContract()
  const operations: Operation[] = []
  for (const [path, item] of Object.entries<any>(document.paths)) {
    for (const method of METHODS) {
      const op = item[method]
      if (!op) continue
      const body = op.requestBody?.content?.['application/json']?.schema
      operations.push({
        id: `${method} ${path}`,
        method,
        path,
        parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])],
        bodySchema: body,
        bodyRef: body ? `openapi.json#/paths/${escape(path)}/${method}/requestBody/content/application~1json/schema` : undefined,
        security: op.security
      })
    }
  }
  return { operations, document, ajv }
}

/** Follows a local $ref ("#/components/schemas/X"). */
export function resolve (document: any, schema: any): any {
  let current = schema
  while (current && typeof current === 'object' && typeof current.$ref === 'string') {
    current = current.$ref.replace(/^#\//, '').split('/').reduce((node: any, key: string) => node?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], document)
  }
  return current
}

/** Values by property or parameter name, where the schema alone (patterns) cannot say. */
export interface Names {
  projectId: string
  provider: string
  id: string
  team: string
  [name: string]: unknown
}

const BY_NAME: Record<string, unknown> = {
  key: 'github',
  action: 'sync',
  owner: 'acme',
  repo: 'web',
  branch: 'main',
  token: 'tok_minimal',
  workerId: 'worker-1',
  state: 'not-a-real-state',
  limit: 5,
  enabled: false,
  dataset: 'production',
  projectRef: 'abcdefghijklmnopqrst',
  siteId: '3970e0fe-8564-4903-9a55-c5f8de49fb8b'
}

/** The smallest instance of a schema: required properties only (or the first optional for minProperties). */
export function minimalInstance (document: any, schema: any, names: Names, name?: string): unknown {
  const s = resolve(document, schema)
  // A name's value only where the schema takes it (a Sanity projectId is not a project's id).
  const fits = (value: unknown) => typeof s?.pattern !== 'string' || new RegExp(s.pattern, 'u').test(String(value))
  if (name !== undefined && name in names && s?.type !== 'object' && fits(names[name])) return names[name]
  if (name !== undefined && name in BY_NAME && s?.type !== 'object') return BY_NAME[name]
  if (!s || typeof s !== 'object') return null
  if ('const' in s) return s.const
  if (Array.isArray(s.enum)) return s.enum[0]
  if (Array.isArray(s.anyOf)) return minimalInstance(document, s.anyOf[0], names, name)
  if (Array.isArray(s.oneOf)) return minimalInstance(document, s.oneOf[0], names, name)
  if (Array.isArray(s.allOf)) return Object.assign({}, ...s.allOf.map((part: any) => minimalInstance(document, part, names)))
  switch (s.type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      const properties: Record<string, any> = s.properties ?? {}
      for (const key of s.required ?? []) out[key] = minimalInstance(document, properties[key], names, key)
      for (const key of Object.keys(properties)) {
        if (Object.keys(out).length >= (s.minProperties ?? 0)) break
        out[key] = minimalInstance(document, properties[key], names, key)
      }
      return out
    }
    case 'array': return []
    case 'integer':
    case 'number': return s.default ?? s.minimum ?? 1
    case 'boolean': return false
    case 'string':
      if (s.format === 'uuid') return randomUUID()
      return 'x'.repeat(Math.max(1, s.minLength ?? 1))
    default: return null
  }
}

export interface BuiltRequest {
  method: string
  url: string
  headers: Record<string, string>
  payload?: unknown
}

/** A request to the operation with every required parameter filled in and a minimal valid body. */
export function minimalRequest (document: any, op: Operation, names: Names): BuiltRequest {
  let url = op.path
  const query = new URLSearchParams()
  const headers: Record<string, string> = {}
  for (const p of op.parameters) {
    if (!p.required && p.in !== 'path') continue
    const value = String(minimalInstance(document, p.schema, names, p.name))
    if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(value))
    else if (p.in === 'query') query.set(p.name, value)
    else if (p.in === 'header') headers[p.name] = p.schema?.format === 'uuid' ? randomUUID() : value
  }
  const search = query.toString()
  return {
    method: op.method.toUpperCase(),
    url: search ? `${url}?${search}` : url,
    headers,
    ...(op.bodySchema ? { payload: minimalInstance(document, op.bodySchema, names) } : {})
  }
}

export const ERROR_KEYS = ['statusCode', 'code', 'error', 'message', 'requestId']

/** The documented Error body: its five keys (details optional), a catalog code, the response's status. */
export function checkErrorBody (res: LightMyRequestResponse | { statusCode: number, headers: Record<string, unknown>, body: string }): string | null {
  if (!String(res.headers['content-type'] ?? '').startsWith('application/json')) return `not JSON: ${String(res.headers['content-type'])}`
  let body: any
  try {
    body = JSON.parse(res.body)
  } catch {
    return 'body does not parse'
  }
  if (!body || typeof body !== 'object') return 'body is not an object'
  for (const key of ERROR_KEYS) if (!(key in body)) return `missing ${key}`
  const extra = Object.keys(body).filter((k) => !ERROR_KEYS.includes(k) && k !== 'details')
  if (extra.length > 0) return `undocumented keys ${extra.join(',')}`
  if (body.statusCode !== res.statusCode) return `statusCode ${body.statusCode} != ${res.statusCode}`
  if (!(ERROR_CODES as string[]).includes(body.code)) return `code ${body.code} not in the catalog`
  if (typeof body.message !== 'string' || typeof body.error !== 'string' || typeof body.requestId !== 'string') return 'message/error/requestId not strings'
  return null
}

/** Asserts an Error response with this status and code. */
export function expectError (t: Test, res: LightMyRequestResponse, status: number, code: string, what: string) {
  t.equal(res.statusCode, status, `${what}: ${status}`)
  t.equal(checkErrorBody(res), null, `${what}: documented Error body`)
  if (res.statusCode === status) t.equal(res.json().code, code, `${what}: code ${code}`)
}
