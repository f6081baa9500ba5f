import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SimulatedProvider, ProviderModule, Reply, RequestContext, ScenarioName, ScenarioOptions } from './shared.js'
import { GENERIC_SCENARIOS, JSON_TYPE, matchRoute } from './shared.js'
import { github } from './github.js'
import { vercel } from './vercel.js'
import { sanityData, sanityManagement } from './sanity.js'
import { supabase } from './supabase.js'
import { netlify } from './netlify.js'
import { authorizeVia, createOAuth } from './oauth.js'
import type { AuthorizeResult, OAuthApp, OAuthGrant, OAuthProvider } from './oauth.js'

export type { Provider, SimulatedProvider, ScenarioName, ScenarioOptions } from './shared.js'
export type { AuthorizeResult, OAuthApp, OAuthGrant, OAuthProvider } from './oauth.js'
export type { SimulatorCall } from './shared.js'
import type { SimulatorCall } from './shared.js'

export interface CallFilter {
  provider?: SimulatedProvider
  method?: string
  path?: string | RegExp
  token?: string
}

export interface Simulator {
  url: string
  baseUrls: {
    github: string
    vercel: string
    sanity: string
    sanityManagement: string
    supabase: string
    /** Netlify's API base, `…/api/v1` as at api.netlify.com. */
    netlify: string
    /** OAuth web host (oauth.ts): github.com's `/login/oauth/authorize` and `/login/oauth/access_token`. */
    githubOAuth: string
    /** OAuth web host (oauth.ts): vercel.com's `/oauth/authorize`. */
    vercelOAuth: string
    /** OAuth web host (oauth.ts): app.netlify.com's `/authorize`. */
    netlifyOAuth: string
  }
  readonly calls: readonly SimulatorCall[]
  setScenario (provider: SimulatedProvider, key: string, scenario: ScenarioName, options?: ScenarioOptions): void
  /** Delay added to every response of every provider. */
  setDelay (ms: number): void
  callCount (filter?: CallFilter): number
  reset (): void
  close (): Promise<void>

  // OAuth 2.0 authorization-code endpoints (oauth.ts).
  /** An app whose client id the authorize and token endpoints accept. */
  registerOAuthApp (provider: OAuthProvider, app: OAuthApp): void
  /** What later authorizations grant (scopes, and the scenario their tokens are registered under). */
  setOAuthGrant (provider: OAuthProvider, grant: OAuthGrant): void
  /** GETs an authorize URL on the simulator without following the redirect; throws unless it redirects with a code. */
  authorize (provider: OAuthProvider, authorizeUrl: string): Promise<AuthorizeResult>
}

/**
 * The base URL's first segment picks the module; the Sanity data API also carries a project id;
 * Netlify's API lives under `/api/v1` (its OAuth token endpoint beside it, at `/oauth/token`).
 */
const MOUNTS: Record<string, { module: ProviderModule, strip: number, under?: string }> = {
  github: { module: github, strip: 1 },
  vercel: { module: vercel, strip: 1 },
  sanity: { module: sanityData, strip: 2 },
  'sanity-api': { module: sanityManagement, strip: 1 },
  supabase: { module: supabase, strip: 1 },
  netlify: { module: netlify, strip: 3, under: 'api/v1' }
}

/** Request bodies beyond this are answered 413 without reaching a provider module. */
const MAX_REQUEST_BODY = 1024 * 1024

function parseBody (text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** The service's environment that points its adapters at these provider APIs (the simulator's or relays to it). */
export function providerEnv (baseUrls: Pick<Simulator['baseUrls'], 'github' | 'vercel' | 'sanity' | 'sanityManagement' | 'supabase' | 'netlify'>) {
  return {
    GITHUB_API_URL: baseUrls.github,
    VERCEL_API_URL: baseUrls.vercel,
    SANITY_API_URL: baseUrls.sanity,
    SANITY_MANAGEMENT_API_URL: baseUrls.sanityManagement,
    SUPABASE_API_URL: baseUrls.supabase,
    NETLIFY_API_URL: baseUrls.netlify
  }
}

export const fingerprint = (token: string) => 'sha256:' + createHash('sha256').update(token).digest('hex').slice(0, 12)

function bearer (header: string | undefined, provider: SimulatedProvider) {
  const match = /^(\S+)\s+(\S+)$/.exec(header ?? '')
  if (!match) return undefined
  const scheme = match[1]!.toLowerCase()
  // GitHub still honours the older `token` scheme.
  return scheme === 'bearer' || (scheme === 'token' && provider === 'github') ? match[2] : undefined
}

function replyFor (ctx: RequestContext, module: ProviderModule): Reply {
  const early = module.preflight?.(ctx)
  if (early) return early
  if (ctx.scenario === 'revoked') return module.invalidToken(ctx)
  if (ctx.scenario === 'rate_limited') {
    const limited = module.rateLimited(ctx)
    if (limited) return limited
  }
  if (ctx.scenario === 'server_error') return module.serverError(ctx)
  if (ctx.scenario === 'missing_scopes') {
    const denied = module.forbidden?.(ctx)
    if (denied) return denied
  }
  const match = matchRoute(module.routes, ctx.method, ctx.path)
  return match ? match.handler(ctx, match.params) : module.notFound(ctx)
}

export interface SimulatorOptions {
  now?: () => number
  delayMs?: number
  /** Where to listen; tests keep the defaults (loopback, a port the OS picks). */
  host?: string
  port?: number
}

export async function startSimulator (options: SimulatorOptions = {}): Promise<Simulator> {
  const now = options.now ?? Date.now
  const scenarios = new Map<string, { scenario: ScenarioName, options: ScenarioOptions }>()
  const calls: SimulatorCall[] = []
  const timers = new Set<NodeJS.Timeout>()
  const open = new Set<ServerResponse>()
  let globalDelay = options.delayMs ?? 0
  let closed = false
  // OAuth (oauth.ts): issued tokens go into the same map setScenario fills.
  const oauth = createOAuth({
    now,
    fingerprint,
    register: (provider, token, scenario, scenarioOptions) => scenarios.set(`${provider}\0${token}`, { scenario, options: scenarioOptions })
  })

  const later = (ms: number, fn: () => void) => {
    if (ms <= 0) return fn()
    const timer = setTimeout(() => { timers.delete(timer); fn() }, ms)
    timers.add(timer)
  }

  function streamForever (res: ServerResponse) {
    res.writeHead(200, { 'content-type': JSON_TYPE })
    res.write('{"items":[')
    const chunk = `{"filler":"${'x'.repeat(4000)}"},`
    // A timer rather than a drain loop keeps a fast reader from pinning the CPU.
    const timer = setInterval(() => res.write(chunk), 5)
    timers.add(timer)
    res.on('close', () => { clearInterval(timer); timers.delete(timer) })
  }

  function send (res: ServerResponse, ctx: RequestContext, module: ProviderModule) {
    if (closed || res.destroyed) return
    if (ctx.scenario === 'hanging') return
    if (ctx.scenario === 'endless') return streamForever(res)
    if (ctx.scenario === 'reset') {
      res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': '4096' })
      res.write('{"partial":', () => res.socket?.destroy())
      return
    }
    const reply = replyFor(ctx, module)
    const headers = { ...module.commonHeaders?.(ctx), ...reply.headers }
    let payload = reply.text ?? JSON.stringify(reply.body)
    let status = reply.status
    if (ctx.scenario === 'malformed') {
      status = 200
      payload = payload.slice(0, Math.max(1, Math.floor(payload.length / 2)))
      headers['content-type'] = JSON_TYPE
    }
    res.writeHead(status, headers).end(payload)
  }

  function handle (req: IncomingMessage, res: ServerResponse, rawBody: string) {
    const url = new URL(req.url ?? '/', 'http://simulator')
    // OAuth endpoints (oauth.ts) come first: the web hosts, and their paths under the API mounts.
    const authFlow = oauth.handle(req.method ?? 'GET', url, req.headers, rawBody)
    if (authFlow) {
      calls.push({ ...authFlow.call, delayMs: globalDelay })
      const { status, headers, text } = authFlow.reply
      later(globalDelay, () => { if (!closed && !res.destroyed) res.writeHead(status, headers).end(text) })
      return
    }
    const raw = url.pathname.split('/').filter(Boolean)
    const mount = MOUNTS[raw[0] ?? '']
    if (!mount || raw.length < mount.strip || (mount.under !== undefined && raw.slice(1, mount.strip).join('/') !== mount.under)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('unknown provider prefix')
      return
    }
    const provider = mount.module.provider
    const token = bearer(req.headers.authorization, provider)
    const entry = token === undefined ? undefined : scenarios.get(`${provider}\0${token}`)
    const { authorization: _, ...headers } = req.headers
    const body = parseBody(rawBody)
    const options = entry?.options ?? {}
    const delayMs = globalDelay + (options.latencyMs ?? 0) + (entry?.scenario === 'slow' ? options.delayMs ?? 100 : 0)
    calls.push({
      provider,
      method: req.method ?? 'GET',
      path: '/' + raw.slice(mount.strip).join('/'),
      url: req.url ?? '/',
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? ''])),
      tokenFingerprint: token === undefined ? null : fingerprint(token),
      ...(body === undefined ? {} : { body }),
      scenario: entry?.scenario ?? 'unregistered',
      at: now(),
      delayMs
    })
    const ctx: RequestContext = {
      method: req.method ?? 'GET',
      path: '/' + raw.slice(mount.strip).join('/'),
      query: url.searchParams,
      headers: req.headers,
      // A token nobody registered is answered as the provider answers an invalid one.
      scenario: entry?.scenario ?? 'revoked',
      options: entry?.options ?? {},
      tokenMissing: req.headers.authorization === undefined,
      now: now(),
      ...(mount.strip === 2 ? { projectId: decodeURIComponent(raw[1]!) } : {}),
      ...(body === undefined ? {} : { body })
    }
    open.add(res)
    res.on('close', () => open.delete(res))
    later(delayMs, () => {
      // Timestamps follow the clock at answer time, as a real provider's would.
      ctx.now = now()
      send(res, ctx, mount.module)
    })
  }

  const server = createServer((req, res) => {
    // Writes (actions) carry a body; it is read whole before the provider module sees the request.
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_REQUEST_BODY) chunks.push(chunk)
    })
    req.on('error', () => res.destroy())
    req.on('end', () => {
      if (size > MAX_REQUEST_BODY) {
        res.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large')
        return
      }
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'))
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`simulator bug: ${String(err)}`)
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: base,
    baseUrls: {
      github: `${base}/github`,
      vercel: `${base}/vercel`,
      sanity: `${base}/sanity/{projectId}`,
      sanityManagement: `${base}/sanity-api`,
      supabase: `${base}/supabase`,
      netlify: `${base}/netlify/api/v1`,
      githubOAuth: `${base}/github-web`,
      vercelOAuth: `${base}/vercel-web`,
      netlifyOAuth: `${base}/netlify-web`
    },
    get calls () { return calls },
    setScenario (provider, key, scenario, scenarioOptions = {}) {
      const module = Object.values(MOUNTS).find((m) => m.module.provider === provider)?.module
      if (!module) throw new Error(`unknown provider ${provider}`)
      if (!(GENERIC_SCENARIOS as readonly string[]).includes(scenario) && !module.extraScenarios.includes(scenario)) {
        throw new Error(`scenario ${scenario} does not apply to ${provider}`)
      }
      scenarios.set(`${provider}\0${key}`, { scenario, options: scenarioOptions })
    },
    setDelay (ms) { globalDelay = ms },
    callCount (filter = {}) {
      const fp = filter.token === undefined ? undefined : fingerprint(filter.token)
      return calls.filter((c) =>
        (filter.provider === undefined || c.provider === filter.provider) &&
        (filter.method === undefined || c.method === filter.method.toUpperCase()) &&
        (fp === undefined || c.tokenFingerprint === fp) &&
        (filter.path === undefined || (typeof filter.path === 'string' ? c.path === filter.path : filter.path.test(c.path)))
      ).length
    },
    reset () {
      scenarios.clear()
      calls.length = 0
      globalDelay = options.delayMs ?? 0
      oauth.reset()
    },
    async close () {
      if (closed) return
      closed = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      // Hanging and endless responses would otherwise keep server.close() waiting forever.
      for (const res of open) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },

    registerOAuthApp (provider, app) { oauth.registerApp(provider, app) },
    setOAuthGrant (provider, grant) { oauth.setGrant(provider, grant) },
    authorize (provider, authorizeUrl) { return authorizeVia(base, provider, authorizeUrl) }
  }
}
