import fp from 'fastify-plugin'
import { defineProvider } from '../../src/provider-kit/manifest.js'
import { oauthClient } from '../../src/provider-kit/env.js'
import { SupabaseEnv, SupabaseLinkConfig } from './config.js'
import { SUPABASE_ACTIONS, createSupabaseAdapter } from './status.js'
import { supabaseOAuth } from './oauth.js'

export const supabaseProvider = defineProvider({
  key: 'supabase',
  label: 'Supabase',
  config: SupabaseLinkConfig,
  // It holds the database password: sealed with the token, masked in responses.
  secretConfig: ['databaseUrl'],
  env: SupabaseEnv,
  actions: SUPABASE_ACTIONS,
  setup (env) {
    const client = oauthClient('SUPABASE_OAUTH_CLIENT_ID', env.SUPABASE_OAUTH_CLIENT_ID, env.SUPABASE_OAUTH_CLIENT_SECRET)
    return {
      ...createSupabaseAdapter({ apiUrl: env.SUPABASE_API_URL }),
      oauth: supabaseOAuth({ apiUrl: env.SUPABASE_API_URL, client })
    }
  }
})

/** The plugin registers the manifest onto the aggregator; `.manifest` is for tests and scripts without an app. */
export default Object.assign(fp(async function supabaseProviderPlugin (fastify) {
  fastify.aggregator.register(supabaseProvider)
}, { name: 'adapter-supabase', dependencies: ['aggregator'], fastify: '5.x' }), { manifest: supabaseProvider })
