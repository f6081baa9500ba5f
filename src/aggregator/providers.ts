import { Value } from '@sinclair/typebox/value'
import type { TObject, TSchema } from '@sinclair/typebox'
import { ConfigError } from '../config/config-error.js'
import type { AdapterDefinition, ProviderManifest } from '../provider-kit/manifest.js'
import { TokenCredentials } from '../provider-kit/credentials.js'

/** What core holds per registered provider: its manifest and the adapter its `setup` built. */
export interface RegisteredProvider {
  manifest: ProviderManifest<any, any>
  adapter: AdapterDefinition
  /** The manifest's credentials schema, or the default `{ token }`. */
  credentials: TObject
}

const KEY = /^[a-z][a-z0-9-]{0,31}$/

/**
 * A manifest's environment variables, read, defaulted, converted and validated like the core's
 * (src/config/env-schema.ts): an empty variable is unset; a bad value is a ConfigError naming it
 * (and never echoing it). URL variables (`url: true`) must parse and lose a trailing slash.
 */
export function resolveProviderEnv (manifest: Pick<ProviderManifest<any, any>, 'env'>, environment: Readonly<Record<string, string | undefined>>) {
  const schema = manifest.env
  const raw: Record<string, unknown> = {}
  for (const name of Object.keys(schema.properties)) {
    const value = environment[name]
    if (value !== undefined && value !== '') raw[name] = value
  }
  const converted = Value.Convert(schema, Value.Default(schema, raw)) as Record<string, unknown>
  const error = Value.Errors(schema, converted).First()
  if (error) {
    const name = error.path.split('/')[1] ?? '(environment)'
    throw new ConfigError(`${name}: ${error.message}${name in raw ? '' : ' (unset)'}`)
  }
  for (const [name, property] of Object.entries<TSchema>(schema.properties)) {
    const value = converted[name]
    if (property.url !== true || typeof value !== 'string') continue
    try {
      // eslint-disable-next-line no-new
      new URL(value.replace('{projectId}', 'project'))
    } catch {
      throw new ConfigError(`${name}: not a valid URL`)
    }
    converted[name] = value.replace(/\/+$/, '')
  }
  return converted
}

/**
 * The registered providers, in registration order (the order every response lists them). The
 * provider set is exactly what was registered: nothing in core names a provider.
 */
export function createProviderRegistry (environment: Readonly<Record<string, string | undefined>>) {
  const providers = new Map<string, RegisteredProvider>()
  /** Adapters by key, for the checker. */
  const adapters = new Map<string, AdapterDefinition>()

  return {
    adapters: adapters as ReadonlyMap<string, AdapterDefinition>,

    register (manifest: ProviderManifest<any, any>) {
      if (!KEY.test(manifest.key)) throw new Error(`provider key "${manifest.key}" must match ${KEY}`)
      if (providers.has(manifest.key)) throw new Error(`provider ${manifest.key} registered twice`)
      if (typeof manifest.config.$id !== 'string') throw new Error(`provider ${manifest.key}: its config schema needs an $id`)
      const env = resolveProviderEnv(manifest, environment)
      let built
      try {
        built = manifest.setup(env)
      } catch (error) {
        // Setup only reads its environment: what fails there is configuration (e.g. half an OAuth app).
        throw new ConfigError((error as Error).message, { cause: error })
      }
      const adapter: AdapterDefinition = { ...built, key: manifest.key, label: manifest.label, actions: manifest.actions }
      providers.set(manifest.key, { manifest, adapter, credentials: manifest.credentials ?? TokenCredentials })
      adapters.set(manifest.key, adapter)
    },

    get: (key: string) => providers.get(key),
    has: (key: string) => providers.has(key),
    list: () => [...providers.values()],
    keys: () => [...providers.keys()],

    async close () {
      await Promise.all([...adapters.values()].map((adapter) => adapter.close?.()))
    }
  }
}

export type ProviderRegistry = ReturnType<typeof createProviderRegistry>
