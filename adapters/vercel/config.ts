import { Type } from '@sinclair/typebox'
import { httpUrl, optionalSecret } from '../../src/provider-kit/env.js'

/** A link: the Vercel project (and its team, for team-owned projects). */
export const VercelLinkConfig = Type.Object({
  projectId: Type.String({ title: 'Project', pattern: '^[A-Za-z0-9_-]{1,128}$', maxLength: 128, description: 'Vercel project id (prj_…) or name' }),
  teamId: Type.Optional(Type.String({ title: 'Team', pattern: '^[A-Za-z0-9_-]{1,128}$', maxLength: 128, description: 'team_… for team-owned projects' }))
}, { $id: 'VercelLinkConfig', additionalProperties: false })

export const VercelEnv = Type.Object({
  VERCEL_API_URL: httpUrl('Vercel REST API base', 'https://api.vercel.com'),
  VERCEL_OAUTH_URL: httpUrl('Vercel web host for OAuth authorize', 'https://vercel.com'),
  VERCEL_OAUTH_CLIENT_ID: optionalSecret('Vercel integration\'s OAuth client id; unset = connect/reconnect refuse for Vercel'),
  VERCEL_OAUTH_CLIENT_SECRET: optionalSecret('Vercel integration\'s OAuth client secret'),
  VERCEL_WEBHOOK_SECRET: optionalSecret('Vercel webhook secret (or the integration\'s client secret)', 8)
})
