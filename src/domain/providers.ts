import type { ProviderKey } from '../db/database.js'

export type { ProviderKey }

/** Every provider the service knows, in the order every response lists them. */
export const PROVIDER_KEYS = ['github', 'vercel', 'sanity', 'supabase'] as const satisfies readonly ProviderKey[]

export const isProviderKey = (value: string): value is ProviderKey => (PROVIDER_KEYS as readonly string[]).includes(value)
