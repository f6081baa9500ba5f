import { AjvCompiler } from '@fastify/ajv-compiler'
import type { FastifyServerOptions } from 'fastify'
import { UNSTORABLE } from './storable.js'

type ValidatorFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>
type CompilerOptions = Parameters<ReturnType<typeof AjvCompiler>>[1] & { customOptions: Record<string, unknown> }
type Validator = ReturnType<ReturnType<ValidatorFactory>>

/**
 * Query strings and headers arrive as text, so their validator coerces ("10" -> 10); JSON bodies
 * already carry types, so theirs does not: `"enabled": "true"` is a 400, as the contract says.
 * Unknown properties are rejected everywhere (Fastify's default would silently strip them).
 */
export const AJV_OPTIONS = { customOptions: { removeAdditional: false, coerceTypes: 'array' as const, allErrors: false } }

/** Deeper than any request of this API needs, and shallow enough for every recursive walk after validation. */
export const MAX_DEPTH = 64

const UNSTORABLE_MESSAGE = 'must not contain U+0000 or an unpaired surrogate (they cannot be stored)'

/** Where, and why, a value cannot be stored as it is: the first such string, object key or nesting; else undefined. */
function unstorable (value: unknown): { path: string, message: string } | undefined {
  // A loop, not recursion: a JSON body may nest deeper than the call stack goes.
  const pending: Array<[unknown, string, number]> = [[value, '', 0]]
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, path, depth] = next
    if (typeof node === 'string') {
      if (UNSTORABLE.test(node)) return { path, message: UNSTORABLE_MESSAGE }
    } else if (typeof node === 'object' && node !== null) {
      // Fingerprints and jsonb take a value apart recursively: a deeper one would overflow the stack (a 500).
      if (depth >= MAX_DEPTH) return { path, message: `must not nest deeper than ${MAX_DEPTH} levels` }
      if (Array.isArray(node)) {
        node.forEach((item, index) => pending.push([item, `${path}/${index}`, depth + 1]))
        continue
      }
      for (const [key, item] of Object.entries(node)) {
        const at = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`
        if (UNSTORABLE.test(key)) return { path: at, message: UNSTORABLE_MESSAGE }
        pending.push([item, at, depth + 1])
      }
    }
  }
  return undefined
}

/**
 * The common case, checked without building any path: an object of strings and other scalars (a
 * query, path parameters, most bodies' outer level) whose keys and strings are all storable.
 * False sends the value through `unstorable`, which finds and names the problem or looks deeper.
 */
function flatAndStorable (value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    if (UNSTORABLE.test(key)) return false
    const item = (value as Record<string, unknown>)[key]
    if (typeof item === 'string' ? UNSTORABLE.test(item) : typeof item === 'object' && item !== null) return false
  }
  return true
}

/**
 * Adds one rule to a part's schema: no string in it PostgreSQL cannot store, no nesting past
 * MAX_DEPTH. Whatever a caller sends may end up in a text or jsonb column (link config, action
 * params, a worker's progress), so it is refused here with the other validation errors (400),
 * not by the database later (500).
 * Headers are left out: Node's HTTP parser already refuses control characters in them.
 */
function refusingUnstorable (validate: Validator): Validator {
  const check = Object.assign((data: unknown, context?: Parameters<Validator>[1]) => {
    const result = validate(data, context)
    check.errors = validate.errors ?? null
    if (result !== true) return result
    if (flatAndStorable(data)) return true
    const problem = unstorable(data)
    if (problem === undefined) return true
    check.errors = [{ keyword: 'storable', instancePath: problem.path, schemaPath: '#', params: {}, message: problem.message }]
    return false
  }, { ...validate, errors: validate.errors ?? null })
  // Keeps the compiled function's own properties (schema, schemaEnv, …) for whatever reads them.
  return check as Validator
}

/**
 * Header schemas name headers canonically (Idempotency-Key), as the OpenAPI document publishes
 * them; Node hands them over lower-cased. Fastify lower-cases a header schema itself only for its
 * default compiler, not for a custom one like this, so the copy compiled here is lower-cased.
 */
export function lowerCaseHeaderNames (schema: Record<string, unknown>): Record<string, unknown> {
  const properties = schema.properties as Record<string, unknown> | undefined
  const required = schema.required as string[] | undefined
  return {
    ...schema,
    ...(properties ? { properties: Object.fromEntries(Object.entries(properties).map(([name, value]) => [name.toLowerCase(), value])) } : {}),
    ...(required ? { required: required.map((name) => name.toLowerCase()) } : {})
  }
}

export function buildValidatorFactory (): ValidatorFactory {
  const factory = AjvCompiler()
  return (externalSchemas, serverOptions) => {
    // Fastify hands over its `ajv` server option; both validators keep its plugins.
    const options = serverOptions as CompilerOptions
    const strictOptions = { ...options, customOptions: { ...options.customOptions, coerceTypes: false } } as CompilerOptions
    const strict = factory(externalSchemas, strictOptions)
    const lenient = factory(externalSchemas, options)
    return (route) => {
      if (route.httpPart === 'headers') return lenient({ ...route, schema: lowerCaseHeaderNames(route.schema as Record<string, unknown>) })
      return refusingUnstorable((route.httpPart === 'body' ? strict : lenient)(route))
    }
  }
}
