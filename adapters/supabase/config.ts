import { Type } from '@sinclair/typebox'
import { httpUrl, optionalSecret } from '../../src/provider-kit/env.js'

/** A link: the Supabase project, and optionally its database for the latency check. */
export const SupabaseLinkConfig = Type.Object({
  projectRef: Type.String({ title: 'Project ref', pattern: '^[a-z0-9]{1,64}$', maxLength: 64 }),
  databaseUrl: Type.Optional(Type.String({
    title: 'Database URL',
    pattern: '^postgres(ql)?://[^\\s\\u0000]+$',
    writeOnly: true,
    maxLength: 2048,
    description: 'For the latency check. Written here, stored encrypted with the credentials; responses mask its password'
  }))
}, { $id: 'SupabaseLinkConfig', additionalProperties: false })

export const SupabaseEnv = Type.Object({
  SUPABASE_API_URL: httpUrl('Supabase Management API base (also its OAuth host)', 'https://api.supabase.com'),
  SUPABASE_OAUTH_CLIENT_ID: optionalSecret('Supabase OAuth app client id; unset = connect/reconnect refuse for Supabase'),
  SUPABASE_OAUTH_CLIENT_SECRET: optionalSecret('Supabase OAuth app client secret')
})
