import github from './github/index.js'
import vercel from './vercel/index.js'
import sanity from './sanity/index.js'
import supabase from './supabase/index.js'
import netlify from './netlify/index.js'

/**
 * The composition root's list of providers: each entry is a provider folder's plugin, which
 * registers its manifest onto the aggregator. Responses list providers in this order. Adding a
 * provider is one line here (and one migration line, see docs/adding-a-provider.md).
 */
export const PROVIDER_PLUGINS = [github, vercel, sanity, supabase, netlify]

/** The same providers' keys, for tests and scripts that need the set without building an app. */
export const PROVIDER_KEYS = PROVIDER_PLUGINS.map((plugin) => plugin.manifest.key)
