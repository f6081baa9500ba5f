import { createHmac, randomUUID } from 'node:crypto'
import t from 'tap'
import { sql } from 'kysely'
import { Redis } from 'ioredis'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { eachBackendAndTokenKind, TEST_CREDENTIALS_KEY, TEST_JWT_SECRET, TEST_REDIS_URL } from '../helper.js'
import { LINK_CONFIGS, statusApp } from '../support/status-app.js'

/**
 * A realistic flow with seeded secret strings (provider tokens, webhook secrets, the host worker
 * token, a database password inside a link's config, the JWTs and the service's own keys): none
 * may appear in any log line, response body or response header. The one exception is the
 * set-cookie of POST /api/auth/session, whose job is to hand the bearer JWT back as the session
 * cookie; it is checked to hold exactly that and nothing else secret.
 *
 * Run on both backends. Besides the logs and responses, what the flow left in the database (every
 * row of every table of the app's schema: credentials are sealed, configs masked) and what it
 * handed the shared-state backend (cache writes, pub/sub messages) is scanned too; over real
 * Redis, the keys and values under the test's prefix and every message published on its channels.
 */

const P = 'p_secrets'
const WEBHOOK_SECRETS = {
  github: 'whsec-github-SEEDED-4f1c9a7e2b',
  vercel: 'whsec-vercel-SEEDED-8d3e0b6a51',
  sanity: 'whsec-sanity-SEEDED-c27f95e04d'
}
const HOST_WORKER_TOKEN = 'hostworker-SEEDED-0b9e8d7c6a5f4e3d2c1b0a99'
const DB_PASSWORD = 'DbPassw0rd-SEEDED-71e3c9'
const OAUTH_CODE = 'oauthcode-SEEDED-5a6b7c8d9e'
const OAUTH_STATE = 'oauthstate-SEEDED-1f2e3d4c5b'
const DATABASE_URL = `postgres://app_user:${DB_PASSWORD}@db.example.test:5432/postgres`

interface Captured { what: string, text: string }

/** Every row of every table in the app's schema, as JSON text: what reached PostgreSQL (or PGlite). */
async function databaseRows (db: FastifyInstance['db']): Promise<Captured[]> {
  const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db)
  const rows: Captured[] = []
  for (const { name } of tables.rows) {
    const result = await sql<{ row: string }>`select row_to_json(r)::text as row from ${sql.table(name)} r`.execute(db)
    rows.push(...result.rows.map(({ row }) => ({ what: `${name} row`, text: row })))
  }
  return rows
}

/** Every key under the prefix in Redis, with its value whatever its type. */
async function redisContents (prefix: string): Promise<Captured[]> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 })
  try {
    const found: Captured[] = []
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      for (const key of keys) {
        const type = await redis.type(key)
        const value = type === 'string'
          ? await redis.get(key)
          : type === 'hash'
            ? await redis.hgetall(key)
            : type === 'list'
              ? await redis.lrange(key, 0, -1)
              : type === 'set'
                ? await redis.smembers(key)
                : type === 'zset'
                  ? await redis.zrange(key, 0, -1)
                  : type === 'stream' ? await redis.xrange(key, '-', '+') : null
        found.push({ what: `redis ${type} ${key}`, text: `${key}\n${typeof value === 'string' ? value : JSON.stringify(value)}` })
      }
      cursor = next
    } while (cursor !== '0')
    return found
  } finally {
    redis.disconnect()
  }
}

eachBackendAndTokenKind(t, 'secrets never reach logs, response bodies, headers or stored state', async (t, backend, tokenKind) => {
  const s = await statusApp(t, {
    backend,
    tokenKind,
    env: {
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRETS.github,
      VERCEL_WEBHOOK_SECRET: WEBHOOK_SECRETS.vercel,
      SANITY_WEBHOOK_SECRET: WEBHOOK_SECRETS.sanity,
      HOST_WORKER_TOKEN,
      LOG_LEVEL: 'debug'
    }
  })
  const captured: Captured[] = []
  let sessionSetCookie: string[] = []

  // What the app hands its shared-state backend (memory or Redis): spied on at the Backends
  // interface both implementations share, so the embedded run scans it too.
  const handed: Captured[] = []
  const { cache, pubsub } = s.app.backends
  const cacheSet = cache.set.bind(cache)
  cache.set = (key, value, ttlMs) => {
    handed.push({ what: `cache set ${key}`, text: `${key}\n${JSON.stringify(value)}` })
    return cacheSet(key, value, ttlMs)
  }
  const publish = pubsub.publish.bind(pubsub)
  pubsub.publish = (channel, message) => {
    handed.push({ what: `publish on ${channel}`, text: `${channel}\n${message}` })
    return publish(channel, message)
  }
  // Over real Redis, also what actually crossed the wire: every message on the test's channels.
  const published: Captured[] = []
  if (backend === 'real') {
    const listener = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 })
    t.teardown(() => listener.disconnect())
    listener.on('pmessage', (_pattern: string, channel: string, message: string) => {
      published.push({ what: `redis message on ${channel}`, text: `${channel}\n${message}` })
    })
    await listener.psubscribe(`${s.redisPrefix}*`)
  }

  /** Every response of the flow, body and headers, goes through here. */
  async function call (what: string, options: InjectOptions, { sessionExchange = false } = {}) {
    const res = await s.app.inject(options)
    const headers = { ...res.headers }
    if (sessionExchange) {
      // The session cookie IS the bearer JWT (that is the exchange); checked on its own below.
      sessionSetCookie = ([] as string[]).concat(headers['set-cookie'] as string | string[])
      delete headers['set-cookie']
    }
    captured.push({ what: `${what} (body)`, text: res.body }, { what: `${what} (headers)`, text: JSON.stringify(headers) })
    return res
  }

  const owner = s.as('owner', P)
  const tokens = {
    owner: owner.authorization.slice('Bearer '.length),
    admin: s.as('admin', P).authorization.slice('Bearer '.length),
    editor: s.as('editor', P).authorization.slice('Bearer '.length),
    viewer: s.as('viewer', P).authorization.slice('Bearer '.length)
  }

  // Links: the simulator knows each token under a scenario; the PUT through `call` replaces the link.
  const providerTokens = {
    github: await s.link(P, 'github', 'healthy'),
    vercel: await s.link(P, 'vercel', 'revoked'),
    sanity: await s.link(P, 'sanity', 'rate_limited'),
    supabase: await s.link(P, 'supabase', 'server_error', { config: { ...LINK_CONFIGS.supabase, databaseUrl: DATABASE_URL } })
  }
  for (const [provider, token] of Object.entries(providerTokens)) {
    const config = provider === 'supabase' ? { ...LINK_CONFIGS.supabase, databaseUrl: DATABASE_URL } : LINK_CONFIGS[provider as keyof typeof LINK_CONFIGS]
    const res = await call(`PUT ${provider} link`, { method: 'PUT', url: `/api/projects/${P}/integrations/${provider}`, headers: owner, payload: { config, credentials: { token } } })
    t.equal(res.statusCode, 200, `${provider}: link replaced with the same secret token`)
  }
  const links = await call('GET links', { method: 'GET', url: `/api/projects/${P}/integrations`, headers: owner })
  t.equal(links.statusCode, 200, 'links listed')
  const supabase = links.json().items.find((l: { key: string }) => l.key === 'supabase')
  t.match(supabase.config.databaseUrl, /\*\*\*/, 'the database URL is shown with its password masked')
  t.equal((await call('PATCH link', { method: 'PATCH', url: `/api/projects/${P}/integrations/sanity`, headers: owner, payload: { hiddenFromRoles: ['viewer'] } })).statusCode, 200, 'link patched')

  // Status as every role: healthy, revoked, rate limited and failing providers.
  for (const role of ['owner', 'admin', 'editor', 'viewer'] as const) {
    const res = await call(`GET status as ${role}`, { method: 'GET', url: `/api/integrations/status?projectId=${P}`, headers: { authorization: `Bearer ${tokens[role]}` } })
    t.equal(res.statusCode, 200, `status as ${role}`)
  }
  t.equal((await call('GET status again', { method: 'GET', url: `/api/integrations/status?projectId=${P}`, headers: owner })).statusCode, 200, 'status again (cached)')

  // Actions: accepted, read back, listed; the host queue with the right and a wrong token.
  const action = await call('POST action', {
    method: 'POST', url: '/api/integrations/actions', headers: { ...owner, 'idempotency-key': randomUUID() }, payload: { projectId: P, provider: 'github', action: 'sync' }
  })
  t.equal(action.statusCode, 202, 'action accepted')
  const refused = await call('POST action as viewer', {
    method: 'POST', url: '/api/integrations/actions', headers: { authorization: `Bearer ${tokens.viewer}`, 'idempotency-key': randomUUID() }, payload: { projectId: P, provider: 'github', action: 'sync' }
  })
  t.ok(refused.statusCode >= 400, `viewer action refused (${refused.statusCode})`)
  for (let i = 0; i < 50; i++) {
    const current = await call('GET action', { method: 'GET', url: `/api/integrations/actions/${action.json().id}`, headers: owner })
    if (['succeeded', 'failed'].includes(current.json().status)) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.equal((await call('GET actions', { method: 'GET', url: `/api/integrations/actions?projectId=${P}`, headers: owner })).statusCode, 200, 'actions listed')
  t.equal((await call('host claim', { method: 'POST', url: '/api/host/actions/claim', headers: { authorization: `Bearer ${HOST_WORKER_TOKEN}` }, payload: { workerId: 'w1', limit: 5 } })).statusCode, 200, 'host claim with the worker token')
  t.equal((await call('host claim, wrong token', { method: 'POST', url: '/api/host/actions/claim', headers: { authorization: `Bearer ${HOST_WORKER_TOKEN.slice(0, -4)}beef` }, payload: { workerId: 'w1', limit: 5 } })).statusCode, 401, 'host claim with a wrong token')

  // Webhooks: valid and forged signatures for each provider.
  const github = JSON.stringify({ repository: { full_name: `${LINK_CONFIGS.github.owner}/${LINK_CONFIGS.github.repo}` } })
  const vercel = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'deployment.succeeded', payload: { project: { id: LINK_CONFIGS.vercel.projectId } } })
  const sanity = JSON.stringify({ _id: 'doc' })
  const now = Date.now()
  const sign = {
    github: (secret: string, body: string) => ({ 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`, 'x-github-delivery': randomUUID(), 'x-github-event': 'push' }),
    vercel: (secret: string, body: string) => ({ 'x-vercel-signature': createHmac('sha1', secret).update(body).digest('hex') }),
    sanity: (secret: string, body: string) => ({ 'sanity-webhook-signature': `t=${now},v1=${createHmac('sha256', secret).update(`${now}.`).update(body).digest('base64url')}`, 'sanity-project-id': LINK_CONFIGS.sanity.projectId, 'idempotency-key': randomUUID() })
  }
  for (const [provider, body] of [['github', github], ['vercel', vercel], ['sanity', sanity]] as const) {
    const valid = await call(`${provider} webhook`, { method: 'POST', url: `/api/webhooks/${provider}`, headers: { 'content-type': 'application/json', ...sign[provider](WEBHOOK_SECRETS[provider], body) }, payload: body })
    t.equal(valid.statusCode, 202, `${provider} webhook with a valid signature`)
    const forged = await call(`${provider} forged webhook`, { method: 'POST', url: `/api/webhooks/${provider}`, headers: { 'content-type': 'application/json', ...sign[provider](`${WEBHOOK_SECRETS[provider]}-forged`, body) }, payload: body })
    t.equal(forged.statusCode, 401, `${provider} webhook with a forged signature`)
  }

  // Errors that carry a secret in the request: it must not be echoed.
  const echo = await call('PUT link with an unknown property', {
    method: 'PUT', url: `/api/projects/${P}/integrations/github`, headers: owner, payload: { config: LINK_CONFIGS.github, credentials: { token: providerTokens.github, [providerTokens.github]: providerTokens.github } }
  })
  t.equal(echo.statusCode, 400, 'invalid body with the token in it: 400')
  const badConfig = await call('PUT supabase link with a bad config', {
    method: 'PUT', url: `/api/projects/${P}/integrations/supabase`, headers: owner, payload: { config: { projectRef: 'BAD REF', databaseUrl: `${DATABASE_URL} spaces` }, credentials: { token: providerTokens.supabase } }
  })
  t.equal(badConfig.statusCode, 400, 'invalid supabase config with the password in it: 400')
  const tooLong = await call('PUT link with an over-long token', {
    method: 'PUT', url: `/api/projects/${P}/integrations/github`, headers: owner, payload: { config: LINK_CONFIGS.github, credentials: { token: providerTokens.github.repeat(400) } }
  })
  t.equal(tooLong.statusCode, 400, 'an over-long token: 400')
  t.equal((await call('GET with a tampered JWT', { method: 'GET', url: `/api/projects/${P}/integrations`, headers: { authorization: `Bearer ${tokens.owner}x` } })).statusCode, 401, 'tampered JWT: 401')
  t.equal((await call('GET with a JWT cookie for another role', { method: 'GET', url: `/api/projects/${P}/integrations`, cookies: { is_session: tokens.viewer } })).statusCode, 403, 'viewer cookie: 403')
  // The OAuth callback carries the provider's authorization code (a credential) in its query.
  const oauth = await call('OAuth callback', { method: 'GET', url: `/api/integrations/oauth/github/callback?state=${OAUTH_STATE}&code=${OAUTH_CODE}`, headers: owner })
  t.equal(oauth.statusCode, 400, 'OAuth callback with a made-up state: 400')
  t.equal((await call('404', { method: 'GET', url: `/api/nope?token=${encodeURIComponent(HOST_WORKER_TOKEN)}`, headers: owner })).statusCode, 404, 'unknown route with a secret in the query: 404')

  // The session exchange, then cookie-authenticated calls.
  const session = await call('POST session', { method: 'POST', url: '/api/auth/session', headers: owner }, { sessionExchange: true })
  t.equal(session.statusCode, 200, 'session started')
  const sessionCookie = sessionSetCookie.find((c) => c.startsWith('is_session='))
  t.ok(sessionCookie?.startsWith(`is_session=${tokens.owner};`), 'the session cookie holds the bearer JWT (the exchange itself)')
  t.match(sessionCookie ?? '', /HttpOnly/, 'the session cookie is HttpOnly')
  t.same(sessionSetCookie.filter((c) => !c.startsWith('is_session=') && c.includes(tokens.owner)), [], 'no other cookie holds the JWT')
  const csrf = session.json().csrfToken
  t.equal((await call('GET session by cookie', { method: 'GET', url: '/api/auth/session', cookies: { is_session: tokens.owner } })).statusCode, 200, 'session read by cookie')
  t.equal((await call('DELETE session by cookie', { method: 'DELETE', url: '/api/auth/session', cookies: { is_session: tokens.owner, is_csrf: csrf }, headers: { origin: 'https://app.example.test', 'x-csrf-token': csrf } })).statusCode, 204, 'session ended')

  const secrets: Record<string, string> = {
    ...Object.fromEntries(Object.entries(providerTokens).map(([p, v]) => [`${p} provider token`, v])),
    ...Object.fromEntries(Object.entries(WEBHOOK_SECRETS).map(([p, v]) => [`${p} webhook secret`, v])),
    HOST_WORKER_TOKEN,
    'database password': DB_PASSWORD,
    // Regression: request URLs were logged with their query, so the OAuth code and any ?token= leaked.
    'OAuth authorization code': OAUTH_CODE,
    'OAuth state': OAUTH_STATE,
    ...Object.fromEntries(Object.entries(tokens).map(([role, v]) => [`${role} JWT`, v])),
    ...Object.fromEntries(Object.entries(tokens).map(([role, v]) => [`${role} JWT signature`, v.split('.')[2]!])),
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    CREDENTIALS_KEY: TEST_CREDENTIALS_KEY
  }

  t.ok(captured.length > 60, `responses captured (${captured.length / 2})`)
  t.ok(s.logs.length > 50, `log lines captured (${s.logs.length})`)
  // The scan is not vacuous: the seeded values went through the requests the app logged.
  t.ok(s.logs.some((line) => line.includes(P)), 'the logs mention the project (the scan sees the flow)')
  t.ok(s.logs.some((line) => line.includes(`"url":"/api/integrations/status?projectId=${P}"`)), 'request URLs are still logged, with harmless query values kept')
  t.ok(s.logs.some((line) => line.includes('/callback?state=[redacted]&code=[redacted]')), 'the OAuth callback is logged with its code and state masked')

  // What the flow stored. The scans are not vacuous: the links, their configs and their sealed
  // credentials are there, and the link changes went through the shared-state backend.
  t.equal(s.app.dbKind, backend === 'real' ? 'postgres' : 'pglite', `the database scanned is ${backend === 'real' ? 'PostgreSQL' : 'PGlite'}`)
  const rows = await databaseRows(s.app.db)
  const linkRows = rows.filter((r) => r.what === 'project_integrations row' && r.text.includes(`"project_id":"${P}"`))
  t.equal(linkRows.length, 4, 'the four links are stored')
  t.ok(linkRows.every((r) => /"credentials_encrypted":"[^"]+"/.test(r.text)), 'each with sealed credentials')
  t.ok(linkRows.some((r) => r.text.includes(LINK_CONFIGS.github.owner)), 'and its config (the scan sees the rows)')
  t.ok(rows.some((r) => r.what === 'integration_actions row' && r.text.includes(P)), 'the action is stored')
  t.ok(handed.some((c) => c.what.startsWith('publish on') && c.text.includes(P)), `the shared-state backend was told of ${P}'s link changes`)
  t.ok(handed.some((c) => c.what.startsWith('cache set')), 'statuses were cached in the shared-state backend')
  let inRedis: Captured[] = []
  if (backend === 'real') {
    inRedis = await redisContents(s.redisPrefix!)
    t.ok(inRedis.length > 0, `keys under the test's Redis prefix scanned (${inRedis.length})`)
    t.ok(published.some((c) => c.text.includes(P)), `messages on the test's Redis channels seen (${published.length})`)
  }

  for (const [name, secret] of Object.entries(secrets)) {
    const forms = [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])]
    const found = (list: Captured[]) => list.filter((c) => forms.some((form) => c.text.includes(form))).map((c) => `${c.what}: ${c.text.slice(0, 300)}`)
    const inLogs = s.logs.filter((line) => forms.some((form) => line.includes(form)))
    t.same(inLogs.map((line) => line.slice(0, 300)), [], `${name}: in no log line`)
    const inResponses = captured.filter((c) => forms.some((form) => c.text.includes(form))).map((c) => c.what)
    t.same(inResponses, [], `${name}: in no response body or header`)
    t.same(found(rows), [], `${name}: in no database row`)
    t.same(found(handed), [], `${name}: in nothing handed to the shared-state backend (cache, pub/sub)`)
    if (backend === 'real') {
      t.same(found(inRedis), [], `${name}: in no Redis key or value`)
      t.same(found(published), [], `${name}: in no Redis pub/sub message`)
    }
  }
})
