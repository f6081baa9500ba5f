import t from 'tap'
import { eachBackend } from '../helper.js'
import { LINK_CONFIGS, statusApp } from '../support/status-app.js'
import { PROVIDER_KEYS } from '../../adapters/index.js'
import type { StatusEnvelope } from '../../src/schemas/integration-status.js'

const FIXED = Date.parse('2026-11-25T14:30:00.000Z')

eachBackend(t, 'GET /api/integrations/status', async (t, backend) => {
  let now = FIXED
  const s = await statusApp(t, { backend, now: () => now })

  t.test('an unknown project: every provider key, in order, not connected', async (t) => {
    const response = await s.status('p_empty')
    t.equal(response.statusCode, 200)
    const body = response.json<StatusEnvelope>()
    t.same(body.items.map((i) => i.key), PROVIDER_KEYS)
    t.same(body.items.map((i) => i.label), ['GitHub', 'Vercel', 'Sanity', 'Supabase', 'Netlify'], 'each item carries its provider\'s label, from the manifest')
    for (const item of body.items) {
      t.match(item, { configured: false, configuredReason: 'not_linked', visible: true, status: 'disconnected', summary: 'Not connected' })
      t.same(item.actions, [{ id: 'connect', label: 'Connect', can: true }])
    }
    t.equal(body.overall, 'disconnected')
    t.equal(response.headers.etag, `W/"${body.hash}"`)
    t.equal(response.headers['cache-control'], 'private, no-cache')
    t.equal(response.headers.vary, 'Origin, Authorization, Cookie, Accept-Encoding', 'CORS\'s Origin kept, the caller and the coding added')
  })

  t.test('every provider, every case, through the route', async (t) => {
    await s.link('p_mix', 'github', 'stale')
    await s.link('p_mix', 'vercel', 'production_failing')
    await s.link('p_mix', 'sanity', 'webhook_disabled')
    await s.link('p_mix', 'supabase', 'revoked')
    const body = (await s.status('p_mix')).json<StatusEnvelope>()
    const [github, vercel, sanity, supabase] = body.items
    t.match(github, { status: 'warning', summary: 'Linked to release-train · No push in 12 days', configured: true })
    t.match(vercel, { status: 'warning', summary: 'Preview ok · Prod failing' })
    t.same(vercel!.environments!.map((e) => [e.name, e.status]), [['preview', 'connected'], ['production', 'error']])
    t.match(sanity, { status: 'warning' })
    t.match(supabase, { status: 'error', configuredReason: 'revoked', problem: { code: 'oauth_revoked', hint: 'Reconnect Supabase to restore sync' } })
    t.same(supabase!.actions!.map((a) => a.id), ['reconnect', 'disconnect'])
    t.equal(body.overall, 'error')
  })

  t.test('a rate limit: retryAfter from the provider, last status kept, amber after two minutes', async (t) => {
    const token = await s.link('p_rl', 'vercel')
    const first = (await s.status('p_rl')).json<StatusEnvelope>().items[1]!
    t.match(first, { status: 'connected', summary: '3 deployments this week · Live' })
    s.sim.setScenario('vercel', token, 'rate_limited', { retryAfterSeconds: 42 })
    now += 60_000 // past the TTL
    await s.status('p_rl') // serves stale and refreshes behind
    await s.app.aggregator.refreshProject('p_rl') // make sure the refresh landed
    const calls = s.sim.callCount({ provider: 'vercel' })
    const limited = (await s.status('p_rl')).json<StatusEnvelope>().items[1]!
    t.match(limited, { status: 'connected', stale: true, problem: { code: 'rate_limited', retryAfter: 42 } })
    now += 30_000
    await s.status('p_rl')
    t.equal(s.sim.callCount({ provider: 'vercel' }), calls, 'no call before the reset time')
    now += 2 * 60_000 + 1000
    s.sim.setScenario('vercel', token, 'rate_limited', { retryAfterSeconds: 600 })
    await s.app.aggregator.refreshProject('p_rl')
    const amber = (await s.status('p_rl')).json<StatusEnvelope>().items[1]!
    t.match(amber, { status: 'warning', stale: true, problem: { code: 'rate_limited', retryAfter: 600 } })
  })

  t.test('ETag round trip', async (t) => {
    await s.link('p_etag', 'github')
    const first = await s.status('p_etag')
    const etag = first.headers.etag as string
    const again = await s.status('p_etag', 'owner', { 'if-none-match': etag })
    t.equal(again.statusCode, 304)
    t.equal(again.body, '', 'no body')
    t.equal(again.headers.etag, etag)
    t.equal((await s.status('p_etag', 'owner', { 'if-none-match': `W/"other", ${etag}` })).statusCode, 304, 'a list that names it')
    t.equal((await s.status('p_etag', 'owner', { 'if-none-match': etag.slice(2) })).statusCode, 304, 'weak comparison')
    t.equal((await s.status('p_etag', 'owner', { 'if-none-match': 'W/"other"' })).statusCode, 200)
    const viewer = await s.status('p_etag', 'viewer')
    t.not(viewer.headers.etag, etag, 'a viewer sees other content, so another tag')
    t.equal((await s.status('p_etag', 'viewer', { 'if-none-match': etag })).statusCode, 200, "the owner's tag confirms nothing to a viewer")
    await s.link('p_etag', 'vercel')
    t.equal((await s.status('p_etag', 'owner', { 'if-none-match': etag })).statusCode, 200, 'a change ends the 304s')
  })

  t.test('a viewer sees no private names, URLs or revealing hints', async (t) => {
    await s.link('p_priv', 'github', 'missing_scopes')
    await s.link('p_priv', 'vercel')
    await s.link('p_priv', 'sanity')
    await s.link('p_priv', 'supabase')
    await s.link('p_priv', 'netlify')
    const owner = (await s.status('p_priv')).body
    const viewer = (await s.status('p_priv', 'viewer')).body
    t.match(owner, /vercel\.app/, 'owners see deployment URLs')
    t.match(owner, /netlify\.app/, 'owners see Netlify deploy URLs')
    const secrets = [...Object.values(LINK_CONFIGS).flatMap((c) => Object.values(c)), 'vercel.app', 'netlify.app', 'https://']
      .filter((value) => value !== 'production')
    for (const secret of secrets) t.notOk(viewer.includes(secret), `viewer response does not contain ${secret}`)
    const github = JSON.parse(viewer).items[0]
    // The viewer learns which problem it is (its stable code and title), not the owner's hint.
    t.match(github, { status: 'warning', problem: { code: 'missing_scopes', title: 'Missing scopes', hint: 'Ask a project owner or admin to reconnect GitHub with the scopes it needs' } })
    t.not(JSON.parse(owner).items[0].problem.hint, github.problem.hint, 'owners get the specific hint')
  })

  t.test('disabled and hidden links', async (t) => {
    await s.link('p_pol', 'github')
    await s.link('p_pol', 'vercel', 'production_failing')
    const patch = (key: string, payload: Record<string, unknown>) => s.app.inject({
      method: 'PATCH', url: `/api/projects/p_pol/integrations/${key}`, headers: s.as('owner', 'p_pol'), payload
    })
    t.equal((await patch('github', { enabled: false })).statusCode, 200)
    t.equal((await patch('vercel', { hiddenFromRoles: ['editor'] })).statusCode, 200)
    const editor = (await s.status('p_pol', 'editor')).json<StatusEnvelope>()
    t.match(editor.items[0], { configured: false, configuredReason: 'disabled', status: 'disconnected', summary: 'Disabled' })
    t.same(Object.keys(editor.items[1]!).sort(), ['configured', 'configuredReason', 'key', 'label', 'status', 'updatedAt', 'visible'], 'no details (the label is the provider\'s name, not the link\'s)')
    t.match(editor.items[1], { visible: false, configuredReason: 'hidden_by_policy' })
    t.equal(editor.overall, 'disconnected', 'hidden and disabled items never count')
    t.equal((await s.status('p_pol', 'owner')).json<StatusEnvelope>().overall, 'warning', 'the owner still sees vercel')
  })

  t.test('actions follow the permission matrix', async (t) => {
    await s.link('p_roles', 'vercel')
    await s.link('p_roles', 'sanity')
    const can = async (role: 'owner' | 'admin' | 'editor' | 'viewer') => {
      const body = (await s.status('p_roles', role)).json<StatusEnvelope>()
      return Object.fromEntries(body.items.flatMap((i) => (i.actions ?? []).map((a) => [`${i.key}.${a.id}`, a.can])))
    }
    const owner = await can('owner')
    t.ok(Object.values(owner).every(Boolean), 'owners may do everything')
    t.same(await can('admin'), owner)
    t.match(await can('editor'), { 'vercel.deploy': true, 'sanity.sync': true, 'vercel.link': false, 'sanity.open-studio': false, 'vercel.disconnect': false, 'github.connect': false })
    t.ok(Object.values(await can('viewer')).every((v) => v === false), 'viewers may do nothing')
  })

  t.test('one structured log line per adapter lookup, and cache metrics', async (t) => {
    await s.link('p_obs', 'sanity')
    await s.status('p_obs', 'editor') // cold: a miss
    await s.status('p_obs', 'editor') // warm: a hit
    const lines = s.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'adapter status' && l.projectId === 'p_obs')
    t.equal(lines.length, 2)
    for (const line of lines) {
      t.match(line, { projectId: 'p_obs', userId: 'u_editor', provider: 'sanity', latencyMs: Number, cacheHit: Boolean, circuitBreakerState: 'closed' })
    }
    t.same(lines.map((l) => l.cacheHit), [false, true])
    const check = s.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'provider check' && l.projectId === 'p_obs')
    t.match(check, { provider: 'sanity', outcome: 'ok', cacheHit: false, latencyMs: Number })
    const metrics = (await s.app.inject({ url: '/metrics' })).body
    t.match(metrics, /status_cache_lookups_total\{provider="sanity",result="miss"\} [1-9]/)
    t.match(metrics, /status_cache_lookups_total\{provider="sanity",result="hit"\} [1-9]/)
    t.match(metrics, /adapter_call_duration_seconds_count\{provider="sanity",outcome="ok"\} [1-9]/)
    t.notMatch(s.logs.join('\n'), /tok_sanity_/, 'the provider token never reaches a log line')
  })

  t.test('bad input and access', async (t) => {
    t.equal((await s.app.inject({ url: '/api/integrations/status?projectId=p_x' })).statusCode, 401)
    const other = await s.app.inject({ url: '/api/integrations/status?projectId=p_x', headers: s.as('owner', 'p_y') })
    t.equal(other.statusCode, 403)
    t.equal(other.json().code, 'FORBIDDEN')
    const bad = await s.app.inject({ url: '/api/integrations/status?projectId=%20bad', headers: s.as('owner', ' bad') })
    t.equal(bad.statusCode, 400)
    t.equal((await s.app.inject({ url: '/api/integrations/status', headers: s.as('owner', 'p_x') })).statusCode, 403, 'no project, no role')
  })
})
