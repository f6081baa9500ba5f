import { createHash, randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { SimulatedProvider, ProviderModule, Reply, ScenarioName, ScenarioOptions, SimulatorCall } from './shared.js'
import { GENERIC_SCENARIOS, JSON_TYPE, MINUTE } from './shared.js'
import { github } from './github.js'
import { vercel } from './vercel.js'
import { supabase } from './supabase.js'
import { netlify } from './netlify.js'

/**
 * OAuth 2.0 authorization-code endpoints of GitHub, Vercel, Supabase and Netlify.
 *
 * The authorize step auto-approves (no consent page): it answers 302 to `redirect_uri` with
 * `code` and `state`. The token step follows each provider's wire format; every access token it
 * issues is registered in the simulator's scenario map, so the API mounts accept it at once.
 */

export type OAuthProvider = 'github' | 'vercel' | 'supabase' | 'netlify'

export interface OAuthApp {
  clientId: string
  clientSecret: string
}

export interface OAuthGrant {
  /** GitHub: the scopes granted (default: those requested). Vercel and Supabase send none back. */
  scopes?: string[]
  /** Scenario of the tokens issued (default `healthy`; a GitHub grant without `repo`: `missing_scopes`). */
  scenario?: ScenarioName
  scenarioOptions?: ScenarioOptions
  /** Vercel: the token answer's `team_id` (default null, an install on a personal account). */
  teamId?: string | null
}

export interface AuthorizeResult {
  code: string
  /** null when the authorize URL carried no `state`. */
  state: string | null
  /** The full `Location` the provider redirected to. */
  redirectTo: string
}

type Kind = 'authorize' | 'token'

interface Endpoint {
  provider: OAuthProvider
  /** First path segment, as in simulator.ts's MOUNTS. */
  prefix: string
  method: string
  path: string
  kind: Kind
}

/** The web hosts belong to this module alone; the API paths are taken before the provider module sees them. */
const ENDPOINTS: Endpoint[] = [
  { provider: 'github', prefix: 'github-web', method: 'GET', path: '/login/oauth/authorize', kind: 'authorize' },
  { provider: 'github', prefix: 'github-web', method: 'POST', path: '/login/oauth/access_token', kind: 'token' },
  { provider: 'vercel', prefix: 'vercel-web', method: 'GET', path: '/oauth/authorize', kind: 'authorize' },
  { provider: 'vercel', prefix: 'vercel', method: 'POST', path: '/v2/oauth/access_token', kind: 'token' },
  { provider: 'supabase', prefix: 'supabase', method: 'GET', path: '/v1/oauth/authorize', kind: 'authorize' },
  { provider: 'supabase', prefix: 'supabase', method: 'POST', path: '/v1/oauth/token', kind: 'token' },
  // app.netlify.com/authorize (N-OAS securityDefinitions); the token endpoint sits beside the API, at api.netlify.com/oauth/token.
  { provider: 'netlify', prefix: 'netlify-web', method: 'GET', path: '/authorize', kind: 'authorize' },
  { provider: 'netlify', prefix: 'netlify', method: 'POST', path: '/oauth/token', kind: 'token' }
]

/** Prefixes of the web hosts (mounted by this module, not by MOUNTS). */
export const OAUTH_WEB_HOSTS: Record<string, OAuthProvider> = { 'github-web': 'github', 'vercel-web': 'vercel', 'netlify-web': 'netlify' }

const MODULES: Record<OAuthProvider, ProviderModule> = { github, vercel, supabase, netlify }

/** GitHub, Vercel and Supabase all let a code live ten minutes. */
export const CODE_TTL_MS = 10 * MINUTE
const SUPABASE_TOKEN_TTL_S = 3600

/** Body and query fields that are credentials: the call log keeps their fingerprint only. */
const SECRET_FIELDS = ['client_secret', 'code', 'code_verifier', 'refresh_token', 'access_token']

const GITHUB_DOCS = 'https://docs.github.com/apps/managing-oauth-apps'
const GITHUB_ERRORS = {
  bad_verification_code: {
    error_description: 'The code passed is incorrect or expired.',
    error_uri: `${GITHUB_DOCS}/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code`
  },
  incorrect_client_credentials: {
    error_description: 'The client_id and/or client_secret passed are incorrect.',
    error_uri: `${GITHUB_DOCS}/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials`
  },
  redirect_uri_mismatch: {
    error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
    error_uri: `${GITHUB_DOCS}/troubleshooting-authorization-request-errors/#redirect-uri-mismatch2`
  }
} as const

type GitHubError = keyof typeof GITHUB_ERRORS

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const base62 = (length: number) => Array.from(randomBytes(length), (b) => BASE62[b % 62]).join('')
const randomHex = (length: number) => randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length)

interface PendingCode {
  clientId: string
  redirectUri: string
  issuedAt: number
  scopes: string[]
  /** Snapshot at authorize time: what the user consented to. */
  grant: OAuthGrant
  challenge?: { value: string, method: 'S256' | 'plain' }
}

interface RefreshEntry {
  clientId: string
  grant: OAuthGrant
}

export type Answer = Reply & { text: string, headers: Record<string, string> }

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer =>
  ({ status, headers: { 'content-type': JSON_TYPE, ...headers }, text: JSON.stringify(body) })
const plain = (status: number, text: string): Answer =>
  ({ status, headers: { 'content-type': 'text/plain; charset=utf-8' }, text })
const oauthError = (status: number, error: string, description: string, headers?: Record<string, string>) =>
  json(status, { error, error_description: description }, headers)

function isHttpUrl (value: string | null): value is string {
  if (value === null) return false
  try {
    const { protocol } = new URL(value)
    return protocol === 'http:' || protocol === 'https:'
  } catch {
    return false
  }
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** Form fields, or JSON object fields (strings and numbers), or undefined when the body is neither. */
function parseParams (contentType: string, raw: string): { params: Map<string, string>, form: boolean } | undefined {
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
    return { params: new Map(new URLSearchParams(raw)), form: true }
  }
  if (/^application\/json\b/i.test(contentType)) {
    try {
      const value: unknown = JSON.parse(raw)
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
      const params = new Map<string, string>()
      for (const [k, v] of Object.entries(value)) {
        if (typeof v === 'string' || typeof v === 'number') params.set(k, String(v))
      }
      return { params, form: false }
    } catch {
      return undefined
    }
  }
  return raw === '' ? { params: new Map(), form: false } : undefined
}

/** RFC 7617 with RFC 6749 §2.3.1's form-encoding of id and secret (tolerated when absent). */
function basicCredentials (header: string | undefined) {
  const match = /^basic\s+(\S+)$/i.exec(header ?? '')
  if (!match) return undefined
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  const unform = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '))
    } catch {
      return s
    }
  }
  return { clientId: unform(decoded.slice(0, colon)), clientSecret: unform(decoded.slice(colon + 1)) }
}

function pkceMatches (challenge: PendingCode['challenge'], verifier: string | undefined) {
  if (!challenge) return true
  if (verifier === undefined) return false
  const computed = challenge.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier
  return computed === challenge.value
}

function assertProvider (provider: string): asserts provider is OAuthProvider {
  if (!(provider in MODULES)) throw new Error(`no OAuth endpoints for provider ${provider}`)
}

export interface OAuthDeps {
  now: () => number
  fingerprint: (secret: string) => string
  /** Puts an issued token in the simulator's scenario map. */
  register: (provider: SimulatedProvider, token: string, scenario: ScenarioName, options: ScenarioOptions) => void
}

export function createOAuth ({ now, fingerprint, register }: OAuthDeps) {
  const apps = new Map<string, OAuthApp>()
  const grants = new Map<OAuthProvider, OAuthGrant>()
  const codes = new Map<string, PendingCode>()
  const refreshTokens = new Map<string, RefreshEntry>()
  /** GitHub access tokens by the OAuth app that issued them, for grant revocation. */
  const githubTokens = new Map<string, string>()
  const key = (provider: OAuthProvider, id: string) => `${provider}\0${id}`

  function clientOk (provider: OAuthProvider, clientId: string | undefined, clientSecret: string | undefined) {
    if (clientId === undefined || clientSecret === undefined) return false
    return apps.get(key(provider, clientId))?.clientSecret === clientSecret
  }

  function issue (provider: OAuthProvider, grant: OAuthGrant, scenario: ScenarioName, token: string) {
    register(provider, token, scenario, grant.scenarioOptions ?? {})
    return token
  }

  /**
   * The pending code for this client, or why it cannot be redeemed. Lookups never consume:
   * the caller deletes the code once every other check has passed.
   */
  function pending (provider: OAuthProvider, code: string | undefined, clientId: string | undefined) {
    if (code === undefined || clientId === undefined) return undefined
    const entry = codes.get(key(provider, code))
    if (!entry || entry.clientId !== clientId) return undefined
    if (now() >= entry.issuedAt + CODE_TTL_MS) {
      codes.delete(key(provider, code))
      return undefined
    }
    return entry
  }

  function authorize (provider: OAuthProvider, query: URLSearchParams): Answer {
    // GitHub's web host answers its errors as a page; the APIs answer JSON.
    const fail = (error: string, description: string) =>
      provider === 'github' ? plain(400, `${error}: ${description}`) : oauthError(400, error, description)
    const clientId = query.get('client_id')
    const redirectUri = query.get('redirect_uri')
    if (clientId === null || !apps.has(key(provider, clientId))) return fail('invalid_client', 'The client_id is not a registered OAuth app.')
    if (!isHttpUrl(redirectUri)) return fail('invalid_request', 'redirect_uri is missing or is not an http(s) URL.')
    const responseType = query.get('response_type')
    // Supabase and Netlify require `response_type=code`; GitHub ignores it; Vercel accepts it absent.
    if (provider === 'supabase' || provider === 'netlify' ? responseType !== 'code' : responseType !== null && responseType !== 'code') {
      return fail('unsupported_response_type', 'response_type must be code.')
    }
    const challengeValue = query.get('code_challenge')
    const challengeMethod = query.get('code_challenge_method') ?? 'plain'
    if (challengeValue !== null && challengeMethod !== 'S256' && challengeMethod !== 'plain') {
      return fail('invalid_request', 'code_challenge_method must be S256 or plain.')
    }

    for (const [k, entry] of codes) if (now() >= entry.issuedAt + CODE_TTL_MS) codes.delete(k)
    const requested = [...new Set((query.get('scope') ?? '').split(/[\s,]+/).filter(Boolean))]
    const grant = { ...grants.get(provider) }
    const code = provider === 'github' ? randomHex(20) : base62(32)
    codes.set(key(provider, code), {
      clientId,
      redirectUri,
      issuedAt: now(),
      scopes: grant.scopes ?? requested,
      grant,
      ...(challengeValue === null ? {} : { challenge: { value: challengeValue, method: challengeMethod === 'S256' ? 'S256' : 'plain' } })
    })
    const location = new URL(redirectUri)
    location.searchParams.set('code', code)
    const state = query.get('state')
    if (state !== null) location.searchParams.set('state', state)
    return {
      status: 302,
      headers: { location: location.href, 'content-type': 'text/html; charset=utf-8' },
      text: `<html><body>You are being <a href="${escapeHtml(location.href)}">redirected</a>.</body></html>`
    }
  }

  function githubToken (headers: IncomingHttpHeaders, body: Map<string, string> | undefined): Answer {
    const wantsJson = /application\/json/i.test(String(headers.accept ?? ''))
    // GitHub answers every outcome 200, in JSON or form encoding after the Accept header.
    const answer = (fields: Record<string, string>): Answer => wantsJson
      ? json(200, fields)
      : { status: 200, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, text: new URLSearchParams(fields).toString() }
    const fail = (error: GitHubError) => answer({ error, ...GITHUB_ERRORS[error] })
    const p = body ?? new Map<string, string>()
    const clientId = p.get('client_id')
    if (!clientOk('github', clientId, p.get('client_secret'))) return fail('incorrect_client_credentials')
    const code = p.get('code')
    const entry = pending('github', code, clientId)
    if (!entry) return fail('bad_verification_code')
    const redirectUri = p.get('redirect_uri')
    if (redirectUri !== undefined && redirectUri !== entry.redirectUri) return fail('redirect_uri_mismatch')
    if (!pkceMatches(entry.challenge, p.get('code_verifier'))) return fail('bad_verification_code')
    codes.delete(key('github', code!))
    // A token without `repo` behaves like a public_repo token on the API.
    const scenario = entry.grant.scenario ?? (entry.scopes.includes('repo') ? 'healthy' : 'missing_scopes')
    const token = issue('github', entry.grant, scenario, `gho_${base62(36)}`)
    githubTokens.set(token, entry.clientId)
    const scope = entry.scopes.join(',')
    return wantsJson
      ? json(200, { access_token: token, token_type: 'bearer', scope })
      : answer({ access_token: token, scope, token_type: 'bearer' })
  }

  /**
   * `DELETE /applications/{client_id}/grant` on the API host, Basic auth with the app's id and
   * secret, body `{ access_token }`: 204, and every token of that grant stops working (401).
   * GitHub answers 404 for wrong app credentials and 422 for a token the app did not issue.
   */
  function githubRevokeGrant (clientId: string, headers: IncomingHttpHeaders, rawBody: string): Answer {
    const basic = basicCredentials(headers.authorization)
    if (!basic || basic.clientId !== clientId || !clientOk('github', basic.clientId, basic.clientSecret)) {
      return json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/apps/oauth-applications#delete-an-app-authorization', status: '404' })
    }
    let token: unknown
    try {
      token = (JSON.parse(rawBody) as { access_token?: unknown }).access_token
    } catch {}
    if (typeof token !== 'string' || githubTokens.get(token) !== clientId) {
      return json(422, { message: 'Validation Failed', documentation_url: 'https://docs.github.com/rest/apps/oauth-applications#delete-an-app-authorization', status: '422' })
    }
    githubTokens.delete(token)
    register('github', token, 'revoked', {})
    return { status: 204, headers: {}, text: '' }
  }

  function vercelToken (parsed: ReturnType<typeof parseParams>): Answer {
    if (!parsed?.form) return oauthError(400, 'invalid_request', 'The request body must be application/x-www-form-urlencoded.')
    const p = parsed.params
    const grantType = p.get('grant_type')
    if (grantType !== undefined && grantType !== 'authorization_code') {
      return oauthError(400, 'unsupported_grant_type', `Unsupported grant_type: ${grantType}.`)
    }
    const clientId = p.get('client_id')
    if (!clientOk('vercel', clientId, p.get('client_secret'))) return oauthError(401, 'invalid_client', 'Invalid client_id or client_secret.')
    const code = p.get('code')
    const entry = pending('vercel', code, clientId)
    if (!entry || !pkceMatches(entry.challenge, p.get('code_verifier'))) {
      return oauthError(400, 'invalid_grant', 'The authorization code is invalid, expired or already used.')
    }
    if (p.get('redirect_uri') !== entry.redirectUri) {
      return oauthError(400, 'invalid_grant', 'redirect_uri does not match the one used in the authorization request.')
    }
    codes.delete(key('vercel', code!))
    const token = issue('vercel', entry.grant, entry.grant.scenario ?? 'healthy', base62(24))
    return json(200, {
      token_type: 'Bearer',
      access_token: token,
      installation_id: `icfg_${base62(24)}`,
      user_id: 'usr_sim',
      team_id: entry.grant.teamId ?? null
    })
  }

  function supabaseToken (headers: IncomingHttpHeaders, parsed: ReturnType<typeof parseParams>): Answer {
    if (!parsed?.form) return oauthError(400, 'invalid_request', 'The request body must be application/x-www-form-urlencoded.')
    const p = parsed.params
    // client_secret_basic as the docs ask; client_secret_post is accepted too.
    const basic = basicCredentials(headers.authorization)
    const clientId = basic?.clientId ?? p.get('client_id')
    const clientSecret = basic?.clientSecret ?? p.get('client_secret')
    if (!clientOk('supabase', clientId, clientSecret)) {
      return oauthError(401, 'invalid_client', 'Client authentication failed.', basic ? { 'www-authenticate': 'Basic realm="supabase"' } : {})
    }
    const grantType = p.get('grant_type')
    let grant: OAuthGrant
    if (grantType === 'authorization_code') {
      const code = p.get('code')
      const entry = pending('supabase', code, clientId)
      if (!entry || p.get('redirect_uri') !== entry.redirectUri || !pkceMatches(entry.challenge, p.get('code_verifier'))) {
        return oauthError(400, 'invalid_grant', 'The authorization code is invalid, expired, already used, or was issued for another redirect_uri or code_verifier.')
      }
      codes.delete(key('supabase', code!))
      grant = entry.grant
    } else if (grantType === 'refresh_token') {
      const refresh = p.get('refresh_token')
      const entry = refresh === undefined ? undefined : refreshTokens.get(refresh)
      if (!entry || entry.clientId !== clientId) return oauthError(400, 'invalid_grant', 'The refresh token is invalid or was already used.')
      // Refresh tokens rotate: the one just presented is spent.
      refreshTokens.delete(refresh!)
      grant = entry.grant
    } else {
      return oauthError(400, 'unsupported_grant_type', 'grant_type must be authorization_code or refresh_token.')
    }
    const token = issue('supabase', grant, grant.scenario ?? 'healthy', `sbp_oauth_${randomHex(40)}`)
    const refreshToken = base62(40)
    refreshTokens.set(refreshToken, { clientId: clientId!, grant })
    return json(201, { access_token: token, refresh_token: refreshToken, expires_in: SUPABASE_TOKEN_TTL_S, token_type: 'Bearer' })
  }

  /**
   * Netlify's `POST /oauth/token`, as its OAuth example app calls it (netlify-labs/oauth-example,
   * simple-oauth2 with tokenHost api.netlify.com): form-encoded `grant_type=authorization_code`,
   * `code`, `redirect_uri`, `client_id`, `client_secret`. Netlify documents no answer format; the
   * RFC 6749 §5 shapes are assumed: `{ access_token, token_type }`, or `{ error, error_description }`
   * with 400 (401 for the client). Netlify tokens do not expire and carry no scopes.
   */
  function netlifyToken (parsed: ReturnType<typeof parseParams>): Answer {
    if (!parsed?.form) return oauthError(400, 'invalid_request', 'The request body must be application/x-www-form-urlencoded.')
    const p = parsed.params
    if (p.get('grant_type') !== 'authorization_code') return oauthError(400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server.')
    const clientId = p.get('client_id')
    if (!clientOk('netlify', clientId, p.get('client_secret'))) {
      return oauthError(401, 'invalid_client', 'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.')
    }
    const code = p.get('code')
    const entry = pending('netlify', code, clientId)
    if (!entry || p.get('redirect_uri') !== entry.redirectUri) {
      return oauthError(400, 'invalid_grant', 'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.')
    }
    codes.delete(key('netlify', code!))
    const token = issue('netlify', entry.grant, entry.grant.scenario ?? 'healthy', `nfp_${base62(36)}`)
    return json(200, { access_token: token, token_type: 'Bearer', created_at: Math.floor(now() / 1000) })
  }

  function redact (fields: Iterable<[string, string]>) {
    return Object.fromEntries([...fields].map(([k, v]) => [k, SECRET_FIELDS.includes(k) ? fingerprint(v) : v]))
  }

  function record (provider: OAuthProvider, method: string, path: string, url: URL, headers: IncomingHttpHeaders,
    rawBody: string, parsed: ReturnType<typeof parseParams>): Omit<SimulatorCall, 'delayMs'> {
    const { authorization: _, ...rest } = headers
    const query = redact(url.searchParams)
    const secretInQuery = [...url.searchParams.keys()].some((k) => SECRET_FIELDS.includes(k))
    const body = parsed ? (parsed.params.size ? redact(parsed.params) : undefined) : rawBody === '' ? undefined : fingerprint(rawBody)
    return {
      provider,
      method,
      path,
      url: secretInQuery ? `${url.pathname}?${new URLSearchParams(query)}` : url.pathname + url.search,
      query,
      headers: Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? ''])),
      // A bearer token is not how these endpoints authenticate; client secrets go to the body's fingerprints.
      tokenFingerprint: null,
      ...(body === undefined ? {} : { body }),
      scenario: 'unregistered',
      at: now()
    }
  }

  return {
    /**
     * The answer to an OAuth request with its call-log entry, or undefined when the request is
     * not for this module (it then goes to the provider mounts as usual).
     */
    handle (method: string, url: URL, headers: IncomingHttpHeaders, rawBody: string): { call: Omit<SimulatorCall, 'delayMs'>, reply: Answer } | undefined {
      const segments = url.pathname.split('/').filter(Boolean)
      const prefix = segments[0] ?? ''
      const path = '/' + segments.slice(1).join('/')
      const revoke = prefix === 'github' && method === 'DELETE' ? /^\/applications\/([^/]+)\/grant$/.exec(path) : null
      if (revoke) {
        const call = record('github', method, path, url, headers, '', undefined)
        return { call, reply: githubRevokeGrant(decodeURIComponent(revoke[1]!), headers, rawBody) }
      }
      const endpoint = ENDPOINTS.find((e) => e.prefix === prefix && e.method === method && e.path === path)
      const provider = endpoint?.provider ?? OAUTH_WEB_HOSTS[prefix]
      if (provider === undefined) return undefined
      const parsed = parseParams(String(headers['content-type'] ?? ''), rawBody)
      const call = record(provider, method, path, url, headers, rawBody, parsed)
      let reply: Answer
      if (!endpoint) reply = plain(404, 'Not Found')
      else if (endpoint.kind === 'authorize') reply = authorize(provider, url.searchParams)
      else if (provider === 'github') reply = githubToken(headers, parsed?.params)
      else if (provider === 'vercel') reply = vercelToken(parsed)
      else if (provider === 'netlify') reply = netlifyToken(parsed)
      else reply = supabaseToken(headers, parsed)
      return { call, reply }
    },

    registerApp (provider: OAuthProvider, app: OAuthApp) {
      assertProvider(provider)
      if (!app.clientId || !app.clientSecret) throw new Error('an OAuth app needs a clientId and a clientSecret')
      apps.set(key(provider, app.clientId), { ...app })
    },

    setGrant (provider: OAuthProvider, grant: OAuthGrant) {
      assertProvider(provider)
      const scenario = grant.scenario
      if (scenario !== undefined && !(GENERIC_SCENARIOS as readonly string[]).includes(scenario) &&
        !MODULES[provider].extraScenarios.includes(scenario)) {
        throw new Error(`scenario ${scenario} does not apply to ${provider}`)
      }
      grants.set(provider, { ...grant, ...(grant.scopes ? { scopes: [...grant.scopes] } : {}) })
    },

    reset () {
      githubTokens.clear()
      apps.clear()
      grants.clear()
      codes.clear()
      refreshTokens.clear()
    }
  }
}

/** GETs a provider's authorize URL on the simulator without following the redirect. */
export async function authorizeVia (simulatorUrl: string, provider: OAuthProvider, authorizeUrl: string): Promise<AuthorizeResult> {
  assertProvider(provider)
  const target = new URL(authorizeUrl)
  const endpoint = ENDPOINTS.find((e) => e.provider === provider && e.kind === 'authorize')!
  const expected = `/${endpoint.prefix}${endpoint.path}`
  if (target.origin !== new URL(simulatorUrl).origin || target.pathname !== expected) {
    throw new Error(`${authorizeUrl} is not the simulator's ${provider} authorize endpoint (${simulatorUrl}${expected})`)
  }
  const res = await fetch(target, { redirect: 'manual' })
  const text = await res.text()
  const location = res.headers.get('location')
  if (res.status !== 302 || location === null) throw new Error(`${provider} authorize answered ${res.status}: ${text}`)
  const redirect = new URL(location)
  const code = redirect.searchParams.get('code')
  if (code === null) throw new Error(`${provider} authorize redirected without a code: ${location}`)
  return { code, state: redirect.searchParams.get('state'), redirectTo: location }
}
