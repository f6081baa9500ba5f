import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { Test } from 'tap'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { build, eachBackendAndTokenKind } from '../helper.js'
import { openRawStream } from '../support/sse.js'
import { checkErrorBody, expectError, loadOperations, minimalRequest, type Operation } from '../support/openapi-ops.js'
import type { TokenClaims } from '../../src/lib/tokens.js'

/**
 * Access control over every operation of openapi.yaml: each role on the project, a caller whose
 * token names only another project, and no credentials. The policy below is the specification
 * (README "Auth", the route comments); the test fails when openapi.yaml gains an operation the
 * policy does not classify, so a new route cannot ship unreviewed.
 */

type Role = TokenClaims['roles'][string]
const ROLES: Role[] = ['owner', 'admin', 'editor', 'viewer']
const P = 'p_sec'
const OTHER = 'p_other'
const TEAM = 't_sec'
const HOST_WORKER_TOKEN = 'host-worker-token-for-the-security-suite-0123456789'

type Policy =
  | { kind: 'public', why: string }
  /** HOST_WORKER_TOKEN bearer, tested separately below. */
  | { kind: 'host' }
  /** Project-scoped: these roles on the project in the path, query or body. */
  | { kind: 'project', roles: readonly Role[] }
  /** Any authenticated caller; about the caller itself or checked by the handler (no project in the request). */
  | { kind: 'caller' }
  /** Team override: an owner or admin whose token's team claim is the team in the path. */
  | { kind: 'team' }

const ALL = ROLES
const MANAGE = ['owner', 'admin'] as const
const POLICY: Record<string, Policy> = {
  'get /healthz': { kind: 'public', why: 'liveness probe' },
  'get /readyz': { kind: 'public', why: 'readiness probe' },
  'get /metrics': { kind: 'public', why: 'Prometheus scrape' },
  'post /api/auth/session': { kind: 'caller' },
  'get /api/auth/session': { kind: 'caller' },
  'delete /api/auth/session': { kind: 'caller' },
  'get /api/providers': { kind: 'caller' },
  'get /api/projects/{projectId}/integrations': { kind: 'project', roles: MANAGE },
  'put /api/projects/{projectId}/integrations/github': { kind: 'project', roles: MANAGE },
  'put /api/projects/{projectId}/integrations/vercel': { kind: 'project', roles: MANAGE },
  'put /api/projects/{projectId}/integrations/sanity': { kind: 'project', roles: MANAGE },
  'put /api/projects/{projectId}/integrations/supabase': { kind: 'project', roles: MANAGE },
  'put /api/projects/{projectId}/integrations/netlify': { kind: 'project', roles: MANAGE },
  'patch /api/projects/{projectId}/integrations/{key}': { kind: 'project', roles: MANAGE },
  'delete /api/projects/{projectId}/integrations/{key}': { kind: 'project', roles: MANAGE },
  'get /api/integrations/status': { kind: 'project', roles: ALL },
  'post /api/integrations/actions': { kind: 'project', roles: ALL },
  'get /api/integrations/actions': { kind: 'project', roles: ALL },
  'get /api/integrations/actions/{id}': { kind: 'caller' },
  'post /api/host/actions/claim': { kind: 'host' },
  'post /api/host/actions/{id}/progress': { kind: 'host' },
  'post /api/host/actions/{id}/complete': { kind: 'host' },
  'get /api/integrations/oauth/{provider}/callback': { kind: 'caller' },
  'post /api/webhooks/github': { kind: 'public', why: 'signed with GITHUB_WEBHOOK_SECRET (test/webhooks)' },
  'post /api/webhooks/vercel': { kind: 'public', why: 'signed with VERCEL_WEBHOOK_SECRET (test/webhooks)' },
  'post /api/webhooks/sanity': { kind: 'public', why: 'signed with SANITY_WEBHOOK_SECRET (test/webhooks)' },
  'post /api/webhooks/netlify': { kind: 'public', why: 'signed with NETLIFY_WEBHOOK_SECRET (test/webhooks/netlify-signature, test/routes/netlify)' },
  'get /api/integrations/events': { kind: 'project', roles: ALL },
  'get /api/integrations/rollout': { kind: 'project', roles: ALL },
  'put /api/integrations/rollout/projects/{projectId}': { kind: 'project', roles: MANAGE },
  'delete /api/integrations/rollout/projects/{projectId}': { kind: 'project', roles: MANAGE },
  'put /api/integrations/rollout/teams/{team}': { kind: 'team' },
  'delete /api/integrations/rollout/teams/{team}': { kind: 'team' }
}

const LINK = { config: { owner: 'acme', repo: 'web', branch: 'main' }, credentials: { token: 'tok_access' } }

interface Answer { statusCode: number, body: string, headers: Record<string, unknown> }

eachBackendAndTokenKind(t, 'access control over every documented operation', async (t, backend, tokenKind) => {
  const s = await build(t, {
    backend,
    tokenKind,
    listen: true,
    env: { HOST_WORKER_TOKEN, GITHUB_API_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'info' }
  })
  const { operations, document, ajv } = await loadOperations()

  t.same(operations.map((op) => op.id).filter((id) => !(id in POLICY)), [], 'every operation in openapi.yaml has an access policy')
  t.same(Object.keys(POLICY).filter((id) => !operations.some((op) => op.id === id)), [], 'the policy names no operation openapi.yaml lacks')

  // An action of p_sec, so GET /actions/{id} has something a foreign caller must not see.
  const owner = s.as('owner', P)
  t.equal((await s.app.inject({ method: 'PUT', url: `/api/projects/${P}/integrations/github`, headers: owner, payload: LINK })).statusCode, 201, 'seed: p_sec has a github link')
  const seededAction = await s.app.inject({
    method: 'POST',
    url: '/api/integrations/actions',
    headers: { ...s.as('owner', P, 'u_seed'), 'idempotency-key': randomUUID() },
    payload: { projectId: P, provider: 'github', action: 'sync' }
  })
  t.equal(seededAction.statusCode, 202, 'seed: an action of p_sec')
  const names = { projectId: P, provider: 'github', id: seededAction.json().id as string, team: TEAM }

  /** State the allowed call expects, so that it can succeed (idempotent). */
  async function prepare (op: Operation) {
    if (op.path.startsWith('/api/projects/{projectId}/integrations/')) {
      const res = await s.app.inject({ method: 'PUT', url: `/api/projects/${P}/integrations/github`, headers: owner, payload: LINK })
      t.ok(res.statusCode === 200 || res.statusCode === 201, `prepare ${op.id}: link present`)
    }
    if (op.id === 'delete /api/integrations/rollout/projects/{projectId}') {
      const res = await s.app.inject({ method: 'PUT', url: `/api/integrations/rollout/projects/${P}`, headers: owner, payload: { enabled: true } })
      t.ok(res.statusCode < 300, `prepare ${op.id}: override present`)
    }
  }

  async function send (op: Operation, headers: Record<string, string>, overrides: Partial<InjectOptions> = {}): Promise<Answer> {
    const request = minimalRequest(document, op, names)
    if (op.bodySchema && !overrides.payload) {
      const validate = ajv.getSchema(op.bodyRef!) ?? ajv.compile({ $ref: op.bodyRef! })
      t.ok(validate(request.payload), `${op.id}: the generated body is valid per openapi.yaml`)
    }
    if (op.id === 'get /api/integrations/events' && headers.authorization && !overrides.payload) {
      // On success this is an endless stream: open it over real HTTP, read the status, close.
      const stream = await openRawStream(`${s.url}${request.url}`, { ...request.headers, ...headers })
      stream.close()
      return { statusCode: stream.status, body: stream.body ?? '', headers: stream.headers }
    }
    const res: LightMyRequestResponse = await s.app.inject({
      method: request.method as 'GET',
      url: request.url,
      headers: { ...request.headers, ...headers },
      ...(request.payload === undefined ? {} : { payload: request.payload as object }),
      ...overrides
    })
    return { statusCode: res.statusCode, body: res.body, headers: res.headers }
  }

  const code = (answer: Answer) => {
    try {
      return JSON.parse(answer.body).code as string | undefined
    } catch {
      return undefined
    }
  }

  function refused (t: Test, answer: Answer, status: number, expected: string, what: string) {
    t.equal(answer.statusCode, status, `${what}: ${status}`)
    t.equal(checkErrorBody(answer), null, `${what}: documented Error body`)
    t.equal(code(answer), expected, `${what}: ${expected}`)
  }

  const foreign = s.as('owner', OTHER, 'u_foreign')

  for (const op of operations) {
    const policy = POLICY[op.id]
    if (!policy || policy.kind === 'public' || policy.kind === 'host') continue
    await t.test(op.id, async (t) => {
      refused(t, await send(op, {}), 401, 'UNAUTHENTICATED', 'no credentials')

      for (const role of ROLES) {
        await prepare(op)
        const answer = await send(op, s.as(role, P))
        const what = `${role} on ${P}`
        t.ok(answer.statusCode < 500, `${what}: not a 5xx (${answer.statusCode})`)
        t.not(answer.statusCode, 401, `${what}: authenticated`)
        if (policy.kind === 'project' && !policy.roles.includes(role)) {
          refused(t, answer, 403, 'FORBIDDEN', `${what} (not allowed)`)
        } else if (policy.kind === 'team') {
          // s.as() tokens carry no team claim: no team override for anyone.
          refused(t, answer, 403, 'FORBIDDEN', `${what} without a team claim`)
        } else if (op.id === 'get /api/integrations/oauth/{provider}/callback') {
          refused(t, answer, 400, 'OAUTH_STATE_INVALID', `${what} (made-up state)`)
        } else if (op.id === 'post /api/integrations/actions') {
          // Past the project check; the action matrix may still refuse the role (not FORBIDDEN).
          t.not(code(answer), 'FORBIDDEN', `${what}: past the project check`)
          t.ok(answer.statusCode === 202 || code(answer) === 'ACTION_FORBIDDEN', `${what}: accepted, or refused by the action matrix (${answer.statusCode} ${code(answer)})`)
        } else {
          t.ok(answer.statusCode >= 200 && answer.statusCode < 300, `${what}: allowed (${answer.statusCode} ${answer.body.slice(0, 160)})`)
        }
      }

      await prepare(op)
      const answer = await send(op, foreign)
      t.ok(answer.statusCode < 500, `foreign project: not a 5xx (${answer.statusCode})`)
      if (policy.kind === 'project' || policy.kind === 'team') {
        refused(t, answer, 403, 'FORBIDDEN', `owner of ${OTHER} only`)
      } else if (op.id === 'get /api/integrations/actions/{id}') {
        refused(t, answer, 404, 'ACTION_NOT_FOUND', `owner of ${OTHER} reading an action of ${P}`)
      } else if (op.id === 'get /api/integrations/oauth/{provider}/callback') {
        refused(t, answer, 400, 'OAUTH_STATE_INVALID', `owner of ${OTHER} (made-up state)`)
      } else {
        // The session routes concern the caller only: 2xx, and nothing about p_sec in the answer.
        t.ok(answer.statusCode >= 200 && answer.statusCode < 300, `owner of ${OTHER}: own session (${answer.statusCode})`)
        t.notMatch(answer.body, P, `owner of ${OTHER}: nothing about ${P}`)
      }
    })
  }

  t.test('401 and 403 come before validation: nothing is learnt from 400s', async (t) => {
    // plugins/auth.ts: authenticate in onRequest (before the body is read), authorizeProject first
    // in preValidation (after parsing, before the schema). A wrong body must not change either answer.
    for (const op of operations) {
      const policy = POLICY[op.id]
      if (!policy || (policy.kind !== 'project' && policy.kind !== 'team') || !op.bodySchema) continue
      const invalid = { payload: { projectId: P, bogus: ['not', 'in', 'the', 'schema'] } }
      refused(t, await send(op, {}, invalid), 401, 'UNAUTHENTICATED', `${op.id}, invalid body, no credentials`)
      refused(t, await send(op, foreign, invalid), 403, 'FORBIDDEN', `${op.id}, invalid body, foreign project`)
      if (policy.kind === 'team' || !policy.roles.includes('viewer')) {
        refused(t, await send(op, s.as('viewer', P), invalid), 403, 'FORBIDDEN', `${op.id}, invalid body, viewer`)
      }
      const broken = await send(op, foreign, { payload: '{"projectId":', headers: { ...foreign, 'content-type': 'application/json' } })
      t.equal(broken.statusCode, 400, `${op.id}, unparsable JSON: the parser answers first (400)`)
      t.equal(code(broken), 'INVALID_JSON', `${op.id}, unparsable JSON: INVALID_JSON, no schema details`)
    }
    // Invalid query/path parameters, caller without access: still 403, never a 400 naming the field.
    refused(t, await send(operations.find((op) => op.id === 'get /api/integrations/actions')!, foreign, { url: `/api/integrations/actions?projectId=${P}&limit=9999` }), 403, 'FORBIDDEN', 'actions list with limit=9999, foreign project')
    refused(t, await send(operations.find((op) => op.id === 'patch /api/projects/{projectId}/integrations/{key}')!, foreign, { url: `/api/projects/${P}/integrations/nope` }), 403, 'FORBIDDEN', 'unknown key, foreign project')
    // The parametric PUT, no longer in the contract but still served for old clients: the same.
    refused(t, await s.app.inject({ method: 'PUT', url: `/api/projects/${P}/integrations/nope`, headers: foreign, payload: LINK }), 403, 'FORBIDDEN', 'PUT unknown key, foreign project')
  })

  t.test('team overrides: only an owner or admin whose token names the team', async (t) => {
    const put = (claims: Partial<TokenClaims>) => s.app.inject({
      method: 'PUT', url: `/api/integrations/rollout/teams/${TEAM}`, headers: { authorization: `Bearer ${s.token(claims)}` }, payload: { enabled: true }
    })
    for (const role of ['owner', 'admin'] as const) {
      const res = await put({ sub: `u_team_${role}`, roles: { [P]: role }, team: TEAM })
      t.ok(res.statusCode === 200 || res.statusCode === 201, `${role} of a project, team claim ${TEAM}: allowed (${res.statusCode})`)
    }
    for (const role of ['editor', 'viewer'] as const) {
      expectError(t, await put({ roles: { [P]: role }, team: TEAM }), 403, 'FORBIDDEN', `${role} only, team claim ${TEAM}`)
    }
    expectError(t, await put({ roles: { [P]: 'owner' }, team: 't_other' }), 403, 'FORBIDDEN', 'owner whose token names another team')
    expectError(t, await put({ roles: { [P]: 'owner' } }), 403, 'FORBIDDEN', 'owner without a team claim')
    const removed = await s.app.inject({ method: 'DELETE', url: `/api/integrations/rollout/teams/${TEAM}`, headers: { authorization: `Bearer ${s.token({ roles: { [OTHER]: 'viewer' }, team: TEAM })}` } })
    expectError(t, removed, 403, 'FORBIDDEN', 'viewer elsewhere, team claim matches: cannot remove')
  })

  t.test('host worker routes: HOST_WORKER_TOKEN only', async (t) => {
    const hostOps = operations.filter((op) => POLICY[op.id]?.kind === 'host')
    t.equal(hostOps.length, 3, 'three host operations')
    const wrong: Array<[string, Record<string, string>]> = [
      ['no Authorization', {}],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['wrong bearer', { authorization: 'Bearer not-the-host-worker-token-0123456789abcdef' }],
      ['the token with a suffix', { authorization: `Bearer ${HOST_WORKER_TOKEN}x` }],
      ['a prefix of the token', { authorization: `Bearer ${HOST_WORKER_TOKEN.slice(0, -1)}` }],
      ['Basic scheme', { authorization: `Basic ${Buffer.from(`worker:${HOST_WORKER_TOKEN}`).toString('base64')}` }],
      ['an owner\'s user JWT', s.as('owner', P)]
    ]
    for (const op of hostOps) {
      for (const [what, headers] of wrong) {
        refused(t, await send(op, headers), 401, 'UNAUTHENTICATED', `${op.id}: ${what}`)
      }
      const right = await send(op, { authorization: `Bearer ${HOST_WORKER_TOKEN}` })
      t.ok(right.statusCode < 500 && right.statusCode !== 401, `${op.id}: the right token gets past authentication (${right.statusCode})`)
    }
  })

  t.test('public routes answer without credentials', async (t) => {
    for (const op of operations.filter((o) => POLICY[o.id]?.kind === 'public' && o.method === 'get')) {
      const res = await send(op, {})
      t.equal(res.statusCode, 200, `${op.id}: 200 without credentials`)
    }
    for (const op of operations.filter((o) => o.path.startsWith('/api/webhooks/'))) {
      // No secret configured here: every delivery is refused, never a 2xx.
      refused(t, await send(op, {}, { payload: '{}', headers: { 'content-type': 'application/json' } }), 401, 'WEBHOOK_SIGNATURE_INVALID', `${op.id}: unsigned`)
    }
  })

  t.test('no request was a server error', async (t) => {
    t.same(s.logs.filter((line) => /"level":(50|60)/.test(line)).map((l) => l.slice(0, 300)), [], 'nothing logged at error level')
  })
})
