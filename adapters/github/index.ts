import fp from 'fastify-plugin'
import { defineProvider } from '../../src/provider-kit/manifest.js'
import { oauthClient } from '../../src/provider-kit/env.js'
import { GithubEnv, GithubLinkConfig } from './config.js'
import { GITHUB_ACTIONS, createGithubAdapter } from './status.js'
import { githubOAuth } from './oauth.js'
import { githubWebhook } from './webhook.js'

export const githubProvider = defineProvider({
  key: 'github',
  label: 'GitHub',
  config: GithubLinkConfig,
  env: GithubEnv,
  actions: GITHUB_ACTIONS,
  setup (env) {
    const client = oauthClient('GITHUB_OAUTH_CLIENT_ID', env.GITHUB_OAUTH_CLIENT_ID, env.GITHUB_OAUTH_CLIENT_SECRET)
    return {
      ...createGithubAdapter({ apiUrl: env.GITHUB_API_URL, oauthApp: client }),
      oauth: githubOAuth({ webUrl: env.GITHUB_OAUTH_URL, apiUrl: env.GITHUB_API_URL, client }),
      webhook: githubWebhook(env.GITHUB_WEBHOOK_SECRET)
    }
  }
})

/** The plugin registers the manifest onto the aggregator; `.manifest` is for tests and scripts without an app. */
export default Object.assign(fp(async function githubProviderPlugin (fastify) {
  fastify.aggregator.register(githubProvider)
}, { name: 'adapter-github', dependencies: ['aggregator'], fastify: '5.x' }), { manifest: githubProvider })
