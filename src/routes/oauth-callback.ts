import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError } from '../errors.js'
import { BEARER_OR_COOKIE, NO_NUL, errorResponses } from '../schemas/common.js'

const EXCHANGE_TIMEOUT_MS = 10_000

/**
 * Where the provider sends the browser back after consent. The browser's session cookie says who
 * is back (a top-level navigation carries it); the signed, single-use `state` must have been
 * issued to that same user, and names the project and link config. The code is exchanged, the
 * token proven with a live call, and only then stored encrypted; the status is re-checked and
 * announced.
 */
const oauthCallbackRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const http = fastify.providerHttp
  // The providers whose manifests have OAuth steps, as registered.
  const oauthProviders = fastify.aggregator.providers().filter(({ adapter }) => adapter.oauth !== undefined)
  if (oauthProviders.length === 0) return

  fastify.get('/api/integrations/oauth/:provider/callback', {
    config: { auth: {} },
    schema: {
      tags: ['actions'],
      summary: `OAuth redirect target for connect/reconnect (${oauthProviders.map(({ manifest }) => manifest.label).join(', ')})`,
      operationId: 'completeOAuthConnection',
      description: 'Needs the session (cookie or bearer) of the user who started connect/reconnect. The signed, single-use `state` names the project and link config; the code is exchanged, the token proven with a live call, and only then stored encrypted.',
      security: BEARER_OR_COOKIE,
      params: Type.Object({ provider: Type.Union(oauthProviders.map(({ manifest }) => Type.Literal(manifest.key))) }),
      querystring: Type.Object({
        state: Type.String({ minLength: 1, maxLength: 512, pattern: NO_NUL, description: 'The state this service gave to the provider' }),
        code: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, pattern: NO_NUL, description: 'The provider\'s authorization code' })),
        error: Type.Optional(Type.String({ maxLength: 256, pattern: NO_NUL, description: 'Set by the provider when the user declined' }))
      }),
      response: {
        200: Type.Object({
          projectId: Type.String(),
          provider: Type.String(),
          connected: Type.Literal(true),
          grantedScopes: Type.Optional(Type.Array(Type.String())),
          missingScopes: Type.Array(Type.String(), { description: 'Required scopes the user did not grant; the status shows a warning naming them' })
        }),
        ...errorResponses(400, 401)
      }
    }
  }, async (request) => {
    const { provider } = request.params
    if (!fastify.oauth.providers.offers(provider)) throw new AppError('BAD_REQUEST')
    const { state, code, error } = request.query
    // Consumed first, whatever happens next: a state is good for one try.
    const pending = await fastify.oauth.states.consume(state, provider, request.user!.sub)
    if (error || !code) throw new AppError('OAUTH_CODE_REJECTED', `The authorization was not granted${error ? ` (${error})` : ''}`)
    const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS)
    const { token, scopes } = await fastify.oauth.providers.exchange(http, provider, code, signal)
    let verified
    try {
      verified = await fastify.oauth.providers.verify(http, provider, token, pending.config, signal)
    } catch (cause) {
      if (cause instanceof AppError) throw cause
      throw new AppError('OAUTH_VERIFICATION_FAILED', undefined, { cause })
    }
    const granted = verified.scopes ?? scopes
    const missingScopes = fastify.oauth.providers.requiredScopes(provider).filter((s) => !(granted ?? []).includes(s))
    // A reconnect keeps secret config fields (a database URL), which live with the old credentials.
    const previous = await fastify.integrationLinks.credentials(pending.projectId, provider).catch(() => null)
    const kept = (fastify.aggregator.provider(provider)?.manifest.secretConfig ?? []).filter((field) => typeof previous?.[field] === 'string')
    const config = { ...pending.config, ...Object.fromEntries(kept.map((field) => [field, previous![field]])) }
    await fastify.integrationLinks.put(pending.projectId, provider, config, token)
    request.log.info({ projectId: pending.projectId, provider, userId: pending.userId, missingScopes }, 'integration connected through OAuth')
    await fastify.aggregator.refreshProject(pending.projectId, { provider, userId: pending.userId })
    return { projectId: pending.projectId, provider, connected: true as const, ...(granted ? { grantedScopes: granted } : {}), missingScopes }
  })
}

export default oauthCallbackRoutes
