import { Type } from '@sinclair/typebox'
import { httpUrl, optionalSecret } from '../../src/provider-kit/env.js'

/** A link: the repository and the branch whose activity the status shows. */
export const GithubLinkConfig = Type.Object({
  owner: Type.String({ title: 'Owner', pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$', maxLength: 39, description: 'User or organisation' }),
  repo: Type.String({ title: 'Repository', pattern: '^[A-Za-z0-9._-]{1,100}$', maxLength: 100 }),
  branch: Type.String({ title: 'Branch', minLength: 1, maxLength: 255, pattern: '^[^\\s\\u0000~^:?*\\[\\\\]+$', description: 'The tracked branch' })
}, { $id: 'GithubLinkConfig', additionalProperties: false })

export const GithubEnv = Type.Object({
  GITHUB_API_URL: httpUrl('GitHub REST API base', 'https://api.github.com'),
  GITHUB_OAUTH_URL: httpUrl('GitHub web host for OAuth (authorize, token exchange)', 'https://github.com'),
  GITHUB_OAUTH_CLIENT_ID: optionalSecret('GitHub OAuth app; unset = connect/reconnect refuse for GitHub'),
  GITHUB_OAUTH_CLIENT_SECRET: optionalSecret('GitHub OAuth app secret'),
  GITHUB_WEBHOOK_SECRET: optionalSecret('Secret of the GitHub webhook; unset = POST /api/webhooks/github refuses every delivery', 8)
})
