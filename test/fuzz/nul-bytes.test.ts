import t from 'tap'
import { connect } from 'node:net'
import { createHmac, randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { build, eachBackend } from '../helper.js'
import { checkErrorBody } from '../support/openapi-ops.js'
import { ERROR_CATALOG, type ErrorCode } from '../../src/errors.js'
import { storable } from '../../src/lib/storable.js'

/**
 * U+0000 in every string the service stores. PostgreSQL cannot hold it in text ("invalid byte
 * sequence for encoding UTF8: 0x00") nor in jsonb ("unsupported Unicode escape sequence"), so a
 * NUL that reaches a query is a 500. Every write path gets NUL in each of its strings and object
 * keys, JSON-escaped ("\u0000") and, where the wire allows it, as a raw 0x00 byte. Whatever is
 * sent: never a 5xx; a refusal is the documented Error body with a stable code; an accepted
 * request stored something that reads back; what was stored before is still there, and a clean
 * request before and after each batch works; nothing is logged at error level. On both backends.
 */

const HOST_WORKER_TOKEN = 'host-worker-token-for-the-nul-suite-0123456789'
const SECRETS = {
  GITHUB_WEBHOOK_SECRET: 'github-webhook-secret-nul',
  VERCEL_WEBHOOK_SECRET: 'vercel-webhook-secret-nul',
  SANITY_WEBHOOK_SECRET: 'sanity-webhook-secret-nul'
}
// Providers are never reached: a closed loopback port fails every check at once.
const DEAD = 'http://127.0.0.1:9'
const PROJECT = 'p_nul'
const NUL = '\u0000'

/** The same text with U+0000 inside it (or after it, when it is one character). */
const withNul = (text: string) => (text.length < 2 ? `${text}${NUL}` : `${text.slice(0, 1)}${NUL}${text.slice(1)}`)

interface Variant {
  /** Where the NUL is, for the assertion messages. */
  where: string
  /** A JSON pointer to the changed string or key. */
  path: string
  kind: 'value' | 'key'
  body: unknown
}

/**
 * Every copy of `body` with one string or one object key changed: for strings, U+0000 alone, U+0000
 * inside the text, and (what jsonb refuses too) a lone surrogate; for keys, U+0000 inside the key.
 */
function variants (body: unknown, { surrogates = true } = {}): Variant[] {
  const out: Variant[] = []
  const visit = (node: unknown, path: string, put: (value: unknown) => unknown) => {
    if (typeof node === 'string') {
      out.push({ where: `${path || '/'} = "\\u0000"`, path, kind: 'value', body: put(NUL) })
      out.push({ where: `${path || '/'} with \\u0000 inside`, path, kind: 'value', body: put(withNul(node)) })
      if (surrogates) out.push({ where: `${path || '/'} with a lone surrogate`, path, kind: 'value', body: put(`${node}\ud800`) })
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${path}/${i}`, (value) => put(node.map((x, j) => (j === i ? value : x)))))
    } else if (typeof node === 'object' && node !== null) {
      const entries = Object.entries(node)
      entries.forEach(([key, item], i) => {
        out.push({ where: `key ${path}/${key} with \\u0000 inside`, path: `${path}/${key}`, kind: 'key', body: put(Object.fromEntries(entries.map(([k, x], j) => [j === i ? withNul(k) : k, x]))) })
        visit(item, `${path}/${key}`, (value) => put(Object.fromEntries(entries.map(([k, x], j) => [k, j === i ? value : x]))))
      })
    }
  }
  visit(body, '', (value) => value)
  return out
}

/** The JSON text with each escaped NUL as the raw byte, which JSON does not allow inside a string. */
const rawNul = (body: unknown) => Buffer.from(JSON.stringify(body).replaceAll('\\u0000', NUL))
const hasEscapedNul = (body: unknown) => JSON.stringify(body).includes('\\u0000')

/** A refusal: this status and catalog code, in the documented Error body (never a 5xx). */
function refused (t: Test, res: LightMyRequestResponse, code: ErrorCode, what: string) {
  const status = ERROR_CATALOG[code].status
  t.equal(res.statusCode, status, `${what}: ${status}${res.statusCode >= 500 ? `, not ${res.statusCode} ${res.body.slice(0, 200)}` : ''}`)
  t.equal(checkErrorBody(res), null, `${what}: the documented Error body`)
  t.equal(res.statusCode < 500 ? res.json().code : null, code, `${what}: ${code}`)
}

/** An HTTP/1.1 request written byte for byte, for what no client library would send. */
function rawRequest (url: string, head: string): Promise<{ statusCode: number, headers: Record<string, string>, body: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => { text += chunk })
    socket.on('error', reject)
    socket.on('close', () => {
      const [top = '', body = ''] = text.split('\r\n\r\n')
      const [status, ...lines] = top.split('\r\n')
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
      resolve({ statusCode: Number(status?.split(' ')[1]), headers, body })
    })
    socket.end(Buffer.from(head, 'latin1'))
  })
}

eachBackend(t, 'U+0000 in every stored string', async (t, backend) => {
  const s = await build(t, {
    backend,
    listen: true,
    env: {
      HOST_WORKER_TOKEN,
      ...SECRETS,
      GITHUB_API_URL: DEAD,
      VERCEL_API_URL: DEAD,
      SANITY_API_URL: 'http://127.0.0.1:9/{projectId}',
      SANITY_MANAGEMENT_API_URL: DEAD,
      SUPABASE_API_URL: DEAD,
      LOG_LEVEL: 'info'
    }
  })
  /** An owner of the project, and of whatever project id the body names (so validation, not access, decides). */
  const owner = (body?: unknown, sub = 'u_nul') => {
    const named = (body as { projectId?: unknown } | undefined)?.projectId
    return { authorization: `Bearer ${s.token({ sub, roles: { [PROJECT]: 'owner', ...(typeof named === 'string' ? { [named]: 'owner' } : {}) } })}` }
  }
  const json = { 'content-type': 'application/json' }
  const host = { authorization: `Bearer ${HOST_WORKER_TOKEN}`, ...json }

  /**
   * Each variant of `clean` is refused with `code`, and again with INVALID_JSON when its NUL is
   * sent as the raw byte. The callers send `clean` itself before and after.
   */
  async function refusesEveryVariant (t: Test, what: string, clean: unknown, send: (payload: string | Buffer, body: unknown) => Promise<LightMyRequestResponse>, code: (variant: Variant) => ErrorCode = () => 'VALIDATION_FAILED') {
    let count = 0
    for (const variant of variants(clean)) {
      refused(t, await send(JSON.stringify(variant.body), variant.body), code(variant), `${what}, ${variant.where}`)
      if (hasEscapedNul(variant.body)) refused(t, await send(rawNul(variant.body), variant.body), 'INVALID_JSON', `${what}, ${variant.where}, as a raw byte`)
      count++
    }
    t.ok(count >= 3, `${what}: ${count} variants`)
  }

  const LINKS = {
    github: { config: { owner: 'acme', repo: 'web', branch: 'main' }, credentials: { token: 'tok_github_nul' } },
    vercel: { config: { projectId: 'prj_nul', teamId: 'team_nul' }, credentials: { token: 'tok_vercel_nul' } },
    sanity: { config: { projectId: 'nulsanity', dataset: 'production' }, credentials: { token: 'tok_sanity_nul' } },
    supabase: { config: { projectRef: 'nulref', databaseUrl: 'postgres://app:pw@127.0.0.1:9/db' }, credentials: { token: 'tok_supabase_nul' } }
  } as const
  const putLink = (key: string, payload: string | Buffer, projectId = PROJECT) => s.app.inject({
    method: 'PUT', url: `/api/projects/${encodeURIComponent(projectId)}/integrations/${encodeURIComponent(key)}`, headers: { ...owner({ projectId }), ...json }, payload
  })
  const links = async () => (await s.app.inject({ url: `/api/projects/${PROJECT}/integrations`, headers: owner() })).json().items as Array<Record<string, any>>

  await t.test('link config and credentials (PUT/PATCH /api/projects/{projectId}/integrations/{key})', async (t) => {
    for (const [key, clean] of Object.entries(LINKS)) {
      t.equal((await putLink(key, JSON.stringify(clean))).statusCode, 201, `${key}: linked with clean values`)
    }
    const before = await links()
    for (const [key, clean] of Object.entries(LINKS)) {
      await refusesEveryVariant(t, `PUT ${key} link`, clean, (payload) => putLink(key, payload))
    }
    refused(t, await putLink('github', JSON.stringify(LINKS.github), `${PROJECT}${NUL}`), 'VALIDATION_FAILED', 'PUT link, NUL in the project id')
    refused(t, await putLink(`github${NUL}`, JSON.stringify(LINKS.github)), 'UNKNOWN_PROVIDER', 'PUT link, NUL in the provider key')
    const patch = (payload: string | Buffer) => s.app.inject({ method: 'PATCH', url: `/api/projects/${PROJECT}/integrations/github`, headers: { ...owner(), ...json }, payload })
    await refusesEveryVariant(t, 'PATCH github link', { enabled: true, hiddenFromRoles: ['viewer'] }, patch)

    t.same(await links(), before, 'every link reads back as it was stored')
    for (const [key, clean] of Object.entries(LINKS)) {
      t.equal((await s.app.integrationLinks.credentials(PROJECT, key as keyof typeof LINKS))?.token, clean.credentials.token, `${key}: the stored token is intact`)
      t.equal((await putLink(key, JSON.stringify(clean))).statusCode, 200, `${key}: a clean replacement still works`)
    }
    t.same((await links()).map((link) => link.config), before.map((link) => link.config), 'and stores the same config')
    t.equal((await patch(JSON.stringify({ enabled: true, hiddenFromRoles: ['viewer'] }))).statusCode, 200, 'a clean PATCH still works')
    t.same((await links()).find((link) => link.key === 'github')?.hiddenFromRoles, ['viewer'], 'and reads back')
  })

  /** POST /api/integrations/actions; each kind of action as its own user (five a minute each). */
  const postAction = (sub: string, payload: string | Buffer, body: unknown, key: string = randomUUID()) =>
    s.app.inject({ method: 'POST', url: '/api/integrations/actions', headers: { ...owner(body, sub), ...json, 'idempotency-key': key }, payload })
  const readAction = async (id: string) => (await s.app.inject({ url: `/api/integrations/actions/${id}`, headers: owner() })).json()
  const pushes: string[] = []

  await t.test('action params (POST /api/integrations/actions)', async (t) => {
    const ACTIONS = [
      { projectId: PROJECT, provider: 'github', action: 'push', params: { branch: 'main', message: 'Update the docs', paths: ['docs/a.md'], options: { force: false, remote: 'origin' } } },
      { projectId: PROJECT, provider: 'github', action: 'pull', params: { branch: 'main' } },
      { projectId: PROJECT, provider: 'vercel', action: 'deploy', params: { target: 'preview' } },
      { projectId: PROJECT, provider: 'vercel', action: 'link', params: { projectId: 'prj_other', teamId: 'team_nul' } },
      { projectId: PROJECT, provider: 'sanity', action: 'connect', params: { config: { projectId: 'nulsanity', dataset: 'production' }, token: 'sk_nul' } }
    ]
    for (const clean of ACTIONS) {
      const what = `${clean.provider} ${clean.action}`
      const sub = `u_${clean.provider}_${clean.action}`
      const first = await postAction(sub, JSON.stringify(clean), clean)
      t.equal(first.statusCode, 202, `${what}: accepted with clean params`)
      // A projectId renamed away leaves the request without a project: refused before validation.
      await refusesEveryVariant(t, what, clean, (payload, body) => postAction(sub, payload, body),
        (v) => (v.kind === 'key' && v.path === '/projectId' ? 'FORBIDDEN' : 'VALIDATION_FAILED'))
      // A key sent first with NUL was refused before it was taken: the clean request may use it.
      const key = randomUUID()
      const nul = { ...clean, params: { ...clean.params, note: NUL } }
      refused(t, await postAction(sub, JSON.stringify(nul), nul, key), 'VALIDATION_FAILED', `${what}: params.note = "\\u0000"`)
      const after = await postAction(sub, JSON.stringify(clean), clean, key)
      t.equal(after.statusCode, 202, `${what}: a clean request after them is accepted, with the same Idempotency-Key`)
      t.equal(after.headers['idempotent-replayed'], undefined, `${what}: as a new action`)
      const shown = clean.provider === 'sanity' ? { ...clean.params, token: '***' } : clean.params
      for (const res of [first, after]) {
        const stored = await readAction(res.json().id)
        t.same(stored.params, shown, `${what}: the accepted action reads back with its params`)
      }
      if (clean.action === 'push') pushes.push(first.json().id, after.json().id)
    }
    for (const idempotencyKey of [`${randomUUID()}${NUL}`, `${NUL}`, withNul(randomUUID())]) {
      const clean = ACTIONS[0]!
      refused(t, await postAction('u_github_push', JSON.stringify(clean), clean, idempotencyKey), 'VALIDATION_FAILED', `Idempotency-Key ${JSON.stringify(idempotencyKey)}`)
    }
    const list = await s.app.inject({ url: `/api/integrations/actions?projectId=${PROJECT}&limit=100`, headers: owner() })
    t.equal(list.json().items.length, ACTIONS.length * 2, 'the project lists exactly the accepted actions')
    refused(t, await s.app.inject({ url: `/api/integrations/actions?projectId=${PROJECT}&before=${encodeURIComponent(withNul('MjAyNg'))}`, headers: owner() }), 'VALIDATION_FAILED', 'GET actions, NUL in the before cursor')
    refused(t, await s.app.inject({ url: `/api/integrations/actions/${pushes[0]}%00`, headers: owner() }), 'VALIDATION_FAILED', 'GET action, NUL after the id')
  })

  await t.test('the host worker\'s claim, progress and outcome (/api/host/actions/*)', async (t) => {
    const claimBody = { workerId: 'w_nul', limit: 20 }
    await refusesEveryVariant(t, 'claim', claimBody, (payload) => s.app.inject({ method: 'POST', url: '/api/host/actions/claim', headers: host, payload }))
    const claimed = await s.app.inject({ method: 'POST', url: '/api/host/actions/claim', headers: host, payload: claimBody })
    t.equal(claimed.statusCode, 200, 'a clean claim works')
    const ids = claimed.json().items.map((item: { id: string }) => item.id)
    t.ok(pushes.every((id) => ids.includes(id)), 'and takes the pushes, whose params the worker reads back')
    const [id, other] = pushes as [string, string]

    const progress = (payload: string | Buffer, at = id) => s.app.inject({ method: 'POST', url: `/api/host/actions/${at}/progress`, headers: host, payload })
    const cleanProgress = { workerId: 'w_nul', progress: { stage: 'pushing', files: ['docs/a.md'], detail: { branch: 'main' } } }
    t.equal((await progress(JSON.stringify(cleanProgress))).statusCode, 200, 'progress with clean values')
    await refusesEveryVariant(t, 'progress', cleanProgress, (payload) => progress(payload))
    refused(t, await progress(JSON.stringify(cleanProgress), `${id}%00`), 'VALIDATION_FAILED', 'progress, NUL after the action id')
    const again = await progress(JSON.stringify(cleanProgress))
    t.equal(again.statusCode, 200, 'progress with clean values, after them')
    t.same((await readAction(id)).progress, cleanProgress.progress, 'the last clean progress reads back')

    const complete = (payload: string | Buffer, at: string) => s.app.inject({ method: 'POST', url: `/api/host/actions/${at}/complete`, headers: host, payload })
    const succeeded = { workerId: 'w_nul', status: 'succeeded', result: { commit: 'abc123', branch: 'main', files: ['docs/a.md'] } }
    const failed = { workerId: 'w_nul', status: 'failed', error: { code: 'push_rejected', message: 'The remote refused the push' } }
    await refusesEveryVariant(t, 'complete (succeeded)', succeeded, (payload) => complete(payload, id))
    await refusesEveryVariant(t, 'complete (failed)', failed, (payload) => complete(payload, other))
    t.equal((await readAction(id)).status, 'running', 'the action is still running after them')
    t.equal((await complete(JSON.stringify(succeeded), id)).statusCode, 200, 'a clean success still completes it')
    t.equal((await complete(JSON.stringify(failed), other)).statusCode, 200, 'a clean failure still completes the other')
    t.match(await readAction(id), { status: 'succeeded', result: succeeded.result, progress: cleanProgress.progress }, 'its result reads back')
    t.match(await readAction(other), { status: 'failed', error: failed.error }, 'the other\'s error reads back')
  })

  await t.test('rollout overrides, query strings and path parameters', async (t) => {
    const override = (projectId: string) => s.app.inject({ method: 'PUT', url: `/api/integrations/rollout/projects/${encodeURIComponent(projectId)}`, headers: { ...owner({ projectId }), ...json }, payload: { enabled: true } })
    t.equal((await override(PROJECT)).statusCode, 201, 'a project override with a clean id')
    refused(t, await override(`${PROJECT}${NUL}`), 'VALIDATION_FAILED', 'PUT project override, NUL in the project id')
    refused(t, await override(NUL), 'VALIDATION_FAILED', 'PUT project override, the project id "\\u0000"')
    // The team claim is checked before the body; a claim holding NUL is refused (see openapi-fuzz.test.ts).
    const teamOwner = { authorization: `Bearer ${s.token({ sub: 'u_nul', roles: { [PROJECT]: 'owner' }, team: 't_nul' })}`, ...json }
    refused(t, await s.app.inject({ method: 'PUT', url: '/api/integrations/rollout/teams/t_nul%00', headers: teamOwner, payload: { enabled: true } }), 'FORBIDDEN', 'PUT team override, NUL in the team')
    t.equal((await s.app.inject({ method: 'PUT', url: '/api/integrations/rollout/teams/t_nul', headers: teamOwner, payload: { enabled: false } })).statusCode, 201, 'a team override with a clean team')

    const get = (url: string) => s.app.inject({ url, headers: owner({ projectId: `${PROJECT}${NUL}` }) })
    for (const [what, url] of [
      ['GET rollout', `/api/integrations/rollout?projectId=${PROJECT}%00`],
      ['GET status', `/api/integrations/status?projectId=${PROJECT}%00`],
      ['GET events', `/api/integrations/events?projectId=${PROJECT}&lastEventId=1%00`],
      ['GET links', `/api/projects/${PROJECT}%00/integrations`]
    ] as const) {
      refused(t, await get(url), 'VALIDATION_FAILED', `${what}, NUL in the query or path`)
    }
    for (const query of ['state=a%00.b.c', `state=${encodeURIComponent(withNul('x.y.z'))}&code=c`, 'state=a.b.c&code=c%00', 'state=a.b.c&error=access_denied%00']) {
      refused(t, await s.app.inject({ url: `/api/integrations/oauth/github/callback?${query}`, headers: owner() }), 'VALIDATION_FAILED', `OAuth callback ?${query}`)
    }
    refused(t, await s.app.inject({ url: '/api/integrations/oauth/github/callback?state=a.b.c&code=c', headers: owner() }), 'OAUTH_STATE_INVALID', 'OAuth callback, clean but unknown state')
    refused(t, await s.app.inject({ url: '/api/dev/login?sub=u%00' }), 'VALIDATION_FAILED', 'dev login, NUL in sub')

    const state = await s.app.inject({ url: `/api/integrations/rollout?projectId=${PROJECT}`, headers: owner() })
    t.match(state.json(), { projectId: PROJECT, enabled: true, source: 'project_override' }, 'the clean project override reads back')
  })

  await t.test('signed webhook deliveries (POST /api/webhooks/*)', async (t) => {
    const deliver = (provider: string, payload: string | Buffer, headers: Record<string, string>) =>
      s.app.inject({ method: 'POST', url: `/api/webhooks/${provider}`, headers: { ...json, ...headers }, payload })
    const github = (payload: string | Buffer, headers: Record<string, string> = {}) => deliver('github', payload, {
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': 'sha256=' + createHmac('sha256', SECRETS.GITHUB_WEBHOOK_SECRET).update(payload).digest('hex'),
      ...headers
    })
    const vercel = (payload: string | Buffer) => deliver('vercel', payload, { 'x-vercel-signature': createHmac('sha1', SECRETS.VERCEL_WEBHOOK_SECRET).update(payload).digest('hex') })
    const sanity = (payload: string | Buffer, headers: Record<string, string> = {}) => {
      const stamp = String(Date.now())
      const signature = createHmac('sha256', SECRETS.SANITY_WEBHOOK_SECRET).update(`${stamp}.`).update(payload).digest('base64url')
      return deliver('sanity', payload, {
        'sanity-webhook-signature': `t=${stamp},v1=${signature}`,
        'sanity-project-id': 'nulsanity',
        'sanity-dataset': 'production',
        'sanity-operation': 'update',
        'idempotency-key': `idem-${randomUUID()}`,
        ...headers
      })
    }
    const stored = async (provider: string) => (await s.app.db.selectFrom('webhook_deliveries').select('delivery_id').where('provider', '=', provider).execute()).map((row) => row.delivery_id)

    /**
     * An authentic delivery with NUL is accepted (202), its id kept with U+FFFD for the NUL: a
     * redelivery is recognised, and the links it names are re-checked unless the NUL is in the name.
     */
    async function accepted (t: Test, what: string, provider: string, id: string, send: () => Promise<LightMyRequestResponse>, refreshed: number) {
      const first = await send()
      t.equal(first.statusCode, 202, `${what}: accepted, not ${first.statusCode} ${first.statusCode >= 400 ? first.body.slice(0, 200) : ''}`)
      t.same(first.statusCode === 202 ? first.json() : null, { received: true, duplicate: false, refreshed }, `${what}: ${refreshed} link(s) re-checked`)
      t.ok((await stored(provider)).includes(storable(id)), `${what}: its delivery id is stored`)
      const again = await send()
      t.same(again.statusCode === 202 ? again.json() : again.body, { received: true, duplicate: true, refreshed: 0 }, `${what}: a redelivery is recognised`)
    }
    /** A clean delivery of each provider re-checks its link. */
    async function controls (t: Test, when: string) {
      const id = randomUUID()
      await accepted(t, `github, clean (${when})`, 'github', id, () => github(JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/web' } }), { 'x-github-delivery': id }), 1)
      const event = { id: `evt_${randomUUID()}`, type: 'deployment.ready', payload: { project: { id: 'prj_nul' } } }
      await accepted(t, `vercel, clean (${when})`, 'vercel', event.id, () => vercel(JSON.stringify(event)), 1)
      const key = `idem-${randomUUID()}`
      await accepted(t, `sanity, clean (${when})`, 'sanity', key, () => sanity(JSON.stringify({ _id: 'doc1' }), { 'idempotency-key': key }), 1)
    }

    await controls(t, 'before')
    const before = { github: await stored('github'), vercel: await stored('vercel'), sanity: await stored('sanity') }

    // GitHub: the body (repository name, ref, commit message) and the delivery and event headers.
    const push = { ref: 'refs/heads/main', repository: { full_name: 'acme/web', pushed_at: 1795700000 }, head_commit: { id: 'abc123', message: 'Update the docs' }, pusher: { name: 'octocat' } }
    for (const variant of variants(push, { surrogates: false })) {
      const id = randomUUID()
      const payload = JSON.stringify(variant.body)
      // Without repository.full_name, or with NUL in it, the delivery names no linked repository.
      const renamed = variant.path === '/repository' || variant.path === '/repository/full_name'
      await accepted(t, `github, ${variant.where}`, 'github', id, () => github(payload, { 'x-github-delivery': id }), renamed ? 0 : 1)
      refused(t, await github(rawNul(variant.body)), 'INVALID_JSON', `github, ${variant.where}, as a raw byte`)
    }
    for (const id of [NUL, withNul(randomUUID()), `${randomUUID()}${NUL}`]) {
      await accepted(t, `github, X-GitHub-Delivery ${JSON.stringify(id)}`, 'github', id, () => github(JSON.stringify(push), { 'x-github-delivery': id }), 1)
    }
    for (const event of [NUL, withNul('push')]) {
      const id = randomUUID()
      await accepted(t, `github, X-GitHub-Event ${JSON.stringify(event)}`, 'github', id, () => github(JSON.stringify(push), { 'x-github-delivery': id, 'x-github-event': event }), 1)
    }

    // Vercel: every string of the envelope, including the delivery id (event.id) and the project id.
    const deployment = { type: 'deployment.ready', createdAt: 1795700000000, payload: { project: { id: 'prj_nul' }, deployment: { id: 'dpl_1', url: 'web-nul.vercel.app', meta: { githubCommitRef: 'main' } }, target: 'production' } }
    // Each variant twice over, the second time around a fresh delivery id (same structure, same order).
    const envelope = (id: string) => ({ id, ...deployment })
    for (const [i, variant] of variants(envelope('evt_nul')).entries()) {
      const body = variants(envelope(`evt_${randomUUID()}`))[i]!.body as Record<string, unknown>
      const id = typeof body.id === 'string' ? body.id : undefined
      // Without payload.project.id, or with NUL in it, the delivery names no linked project.
      const renamed = ['/payload', '/payload/project', '/payload/project/id'].includes(variant.path)
      const what = `vercel, ${variant.where}`
      if (id === undefined) {
        // The key "id" renamed: a delivery without an id, still accepted (and not deduplicated).
        const res = await vercel(JSON.stringify(body))
        t.equal(res.statusCode, 202, `${what}: accepted, not ${res.statusCode}`)
        t.same(res.statusCode === 202 ? res.json() : null, { received: true, duplicate: false, refreshed: 1 }, `${what}: the project's link re-checked`)
      } else {
        await accepted(t, what, 'vercel', id, () => vercel(JSON.stringify(body)), renamed ? 0 : 1)
      }
      if (hasEscapedNul(body)) refused(t, await vercel(rawNul(body)), 'INVALID_JSON', `${what}, as a raw byte`)
    }

    // Sanity: the delivery id, project, dataset and operation headers, and the body.
    for (const [header, value, refreshed] of [
      ['idempotency-key', NUL, 1], ['idempotency-key', withNul(`idem-${randomUUID()}`), 1],
      ['sanity-project-id', withNul('nulsanity'), 0], ['sanity-project-id', `nulsanity${NUL}`, 0],
      ['sanity-operation', withNul('update'), 1], ['sanity-dataset', withNul('production'), 1]
    ] as const) {
      const headers: Record<string, string> = { 'idempotency-key': `idem-${randomUUID()}`, [header]: value }
      await accepted(t, `sanity, ${header} ${JSON.stringify(value)}`, 'sanity', headers['idempotency-key']!, () => sanity(JSON.stringify({ _id: 'doc1' }), headers), refreshed)
    }
    {
      // Without an Idempotency-Key the transaction id is the delivery id.
      const transaction = withNul(`tx-${randomUUID()}`)
      await accepted(t, 'sanity, sanity-transaction-id with \\u0000 inside', 'sanity', transaction, () => {
        const stamp = String(Date.now())
        const payload = JSON.stringify({ _id: 'doc1' })
        const signature = createHmac('sha256', SECRETS.SANITY_WEBHOOK_SECRET).update(`${stamp}.${payload}`).digest('base64url')
        return deliver('sanity', payload, { 'sanity-webhook-signature': `t=${stamp},v1=${signature}`, 'sanity-project-id': 'nulsanity', 'sanity-transaction-id': transaction })
      }, 1)
    }
    for (const variant of variants({ _id: 'drafts.doc1', _type: 'post', title: 'Hello', tags: ['news'] })) {
      const key = `idem-${randomUUID()}`
      await accepted(t, `sanity, body ${variant.where}`, 'sanity', key, () => sanity(JSON.stringify(variant.body), { 'idempotency-key': key }), 1)
      if (hasEscapedNul(variant.body)) refused(t, await sanity(rawNul(variant.body)), 'INVALID_JSON', `sanity, body ${variant.where}, as a raw byte`)
    }

    // A forged delivery with NUL is still only a forgery.
    const forged = JSON.stringify({ repository: { full_name: `acme/web${NUL}` } })
    refused(t, await deliver('github', forged, { 'x-github-delivery': randomUUID(), 'x-hub-signature-256': 'sha256=' + createHmac('sha256', 'wrong').update(forged).digest('hex') }), 'WEBHOOK_SIGNATURE_INVALID', 'github, forged, NUL in the body')

    await controls(t, 'after')
    for (const provider of ['github', 'vercel', 'sanity'] as const) {
      const now = await stored(provider)
      t.ok(before[provider].every((id) => now.includes(id)), `${provider}: the deliveries stored before are all still there`)
    }
  })

  await t.test('raw 0x00 on the wire: refused by the HTTP parser with the Error body', async (t) => {
    const signed = JSON.stringify({ repository: { full_name: 'acme/web' } })
    const signature = 'sha256=' + createHmac('sha256', SECRETS.GITHUB_WEBHOOK_SECRET).update(signed).digest('hex')
    const requests = {
      'a header value (X-GitHub-Delivery)': `POST /api/webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Hub-Signature-256: ${signature}\r\nX-GitHub-Delivery: a${NUL}b\r\nContent-Length: ${signed.length}\r\n\r\n${signed}`,
      'a header value (Idempotency-Key)': `POST /api/integrations/actions HTTP/1.1\r\nHost: x\r\n${`Authorization: ${owner().authorization}`}\r\nIdempotency-Key: ${randomUUID()}${NUL}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
      'the query string': `GET /api/integrations/status?projectId=${PROJECT}${NUL} HTTP/1.1\r\nHost: x\r\n\r\n`,
      'the path': `GET /api/projects/${PROJECT}${NUL}/integrations HTTP/1.1\r\nHost: x\r\n\r\n`
    }
    for (const [what, head] of Object.entries(requests)) {
      const res = await rawRequest(s.url, head)
      t.equal(res.statusCode, 400, `NUL in ${what}: 400`)
      t.equal(checkErrorBody(res), null, `NUL in ${what}: the documented Error body`)
      t.equal(res.statusCode === 400 ? JSON.parse(res.body).code : null, 'BAD_REQUEST', `NUL in ${what}: BAD_REQUEST`)
    }
    const health = await s.app.inject({ url: '/healthz' })
    t.equal(health.statusCode, 200, 'the app still answers /healthz')
  })

  const errors = s.logs.filter((line) => /"level":(50|60)/.test(line))
  t.same(errors.map((line) => line.slice(0, 400)), [], 'nothing was logged at error level')
  t.ok(s.logs.some((line) => line.includes('must not contain U+0000')), 'the refusals were logged (at info)')
})
