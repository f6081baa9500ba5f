import { AjvCompiler } from '@fastify/ajv-compiler'
import type { FastifyServerOptions } from 'fastify'

type ValidatorFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>
type CompilerOptions = Parameters<ReturnType<typeof AjvCompiler>>[1] & { customOptions: Record<string, unknown> }

/**
 * Query strings and headers arrive as text, so their validator coerces ("10" -> 10); JSON bodies
 * already carry types, so theirs does not: `"enabled": "true"` is a 400, as the contract says.
 * Unknown properties are rejected everywhere (Fastify's default would silently strip them).
 */
export const AJV_OPTIONS = { customOptions: { removeAdditional: false, coerceTypes: 'array' as const, allErrors: false } }

export function buildValidatorFactory (): ValidatorFactory {
  const factory = AjvCompiler()
  return (externalSchemas, serverOptions) => {
    // Fastify hands over its `ajv` server option; both validators keep its plugins.
    const options = serverOptions as CompilerOptions
    const strictOptions = { ...options, customOptions: { ...options.customOptions, coerceTypes: false } } as CompilerOptions
    const strict = factory(externalSchemas, strictOptions)
    const lenient = factory(externalSchemas, options)
    return (route) => (route.httpPart === 'body' ? strict : lenient)(route)
  }
}
