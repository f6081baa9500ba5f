import { ActionFailure } from '../../src/provider-kit/executor.js'
import type { ActionExecutor, ExecutionContext } from '../../src/provider-kit/executor.js'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import { parseRetryAfter, type ProviderResponse } from '../../src/provider-kit/http.js'
import { disconnectExecutor, noParams, syncExecutor } from '../../src/provider-kit/shared-actions.js'

/**
 * Sanity's quick actions. open-studio reads the project from the management API
 * (`GET https://api.sanity.io/v2021-06-07/projects/{projectId}`): `studioHost` names a
 * Sanity-hosted Studio (`https://<studioHost>.sanity.studio`, null until `sanity deploy`),
 * `metadata.externalStudioHost` the URL of one hosted elsewhere.
 */

/** The projects API version the Sanity CLI and management examples use. */
export const SANITY_PROJECTS_API_VERSION = 'v2021-06-07'

export const SANITY_DISCONNECT_NOTE = 'The link and its stored token were removed here. The token itself still works at Sanity: ' +
  'a robot token is deleted by its id through the project\'s tokens API, by a token allowed to manage tokens, ' +
  'and this service has neither. Delete it at sanity.io/manage › API › Tokens.'

/** A DNS label: what `sanity deploy` accepts as a studio hostname. */
const STUDIO_HOST = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i
const DEFAULT_RETRY_AFTER = 60

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function requireProject (ctx: ExecutionContext) {
  if (!ctx.link) throw new ActionFailure('not_linked', 'Sanity is not linked to this project')
  const { projectId } = ctx.link.config
  if (typeof projectId !== 'string') throw new ActionFailure('not_linked', 'The Sanity link has no project id')
  return { projectId, token: ctx.link.credentials.token }
}

function failureFor (res: ProviderResponse, ctx: ExecutionContext): ActionFailure {
  switch (res.status) {
    case 401: return new ActionFailure('revoked', 'Sanity rejected the token (it was deleted or expired): reconnect Sanity')
    case 403: return new ActionFailure('no_access', 'The Sanity token may not read this project\'s settings: reconnect Sanity with a token that can')
    case 404: return new ActionFailure('not_found', 'Sanity does not know the linked project any more: link the project again')
    case 429: {
      const seconds = Math.max(1, parseRetryAfter(res.headers['retry-after'], ctx.now) ?? DEFAULT_RETRY_AFTER)
      return new ActionFailure('rate_limited', `Sanity is rate limiting these calls: try again in ${seconds}s`)
    }
    default: return new ActionFailure('provider_error', `Sanity answered ${res.status}`)
  }
}

function studioUrl (project: Record<string, unknown>) {
  if (typeof project.studioHost === 'string' && STUDIO_HOST.test(project.studioHost)) {
    return `https://${project.studioHost.toLowerCase()}.sanity.studio`
  }
  const external = isRecord(project.metadata) ? project.metadata.externalStudioHost : undefined
  if (typeof external === 'string') {
    try {
      const url = new URL(external)
      if (url.protocol === 'https:' || url.protocol === 'http:') return url.href
    } catch {}
  }
  return undefined
}

export function createSanityExecutors ({ managementApiUrl }: { managementApiUrl: string }): ActionExecutor[] {
  return [
    syncExecutor(requireProject),
    {
      id: 'open-studio',
      mode: 'inline',
      retryable: true,
      needsLink: true,
      check: noParams('open-studio'),
      async run (ctx) {
        const { projectId, token } = requireProject(ctx)
        const url = `${managementApiUrl}/${SANITY_PROJECTS_API_VERSION}/projects/${encodeURIComponent(projectId)}`
        let res: ProviderResponse
        try {
          res = await ctx.http.getJson(url, { headers: { authorization: `Bearer ${token}` }, signal: ctx.signal })
        } catch (error) {
          if (ctx.signal.aborted || !(error instanceof ProviderFailure)) throw error
          if (error.code === 'timeout') throw new ActionFailure('timeout', 'Sanity did not answer in time', { cause: error })
          throw new ActionFailure('provider_error', 'Sanity could not be reached or sent an unreadable answer', { cause: error })
        }
        if (res.status !== 200) throw failureFor(res, ctx)
        if (!isRecord(res.body)) throw new ActionFailure('provider_error', 'Sanity answered the project in an unexpected shape')
        const studio = studioUrl(res.body)
        if (!studio) throw new ActionFailure('no_studio', 'This Sanity project has no deployed Studio: deploy one with `sanity deploy`')
        return { url: studio }
      }
    },
    disconnectExecutor(SANITY_DISCONNECT_NOTE)
  ]
}
