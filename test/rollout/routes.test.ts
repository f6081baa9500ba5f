import t from 'tap'
import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { build, eachBackend, TEST_ORIGIN, type TestApp } from '../helper.js'
import { teamBucket } from '../../src/rollout/rules.js'

// Config under test: default off, 30 % of teams, one listed team (outside the 30 %), one listed project.
const teams = Array.from({ length: 200 }, (_, i) => `t_${i}`)
const INSIDE = teams.find((team) => teamBucket(team) < 30)!
const OUTSIDE = teams.find((team) => teamBucket(team) >= 30)!
const LISTED_TEAM = teams.find((team) => teamBucket(team) >= 30 && team !== OUTSIDE)!
const ENV = { ROLLOUT_DEFAULT: 'false', ROLLOUT_PERCENT: '30', ROLLOUT_TEAMS: ` ${LISTED_TEAM} ,`, ROLLOUT_PROJECTS: 'p_listed' }

const state = (projectId: string) => `/api/integrations/rollout?projectId=${projectId}`
const projectUrl = (projectId: string) => `/api/integrations/rollout/projects/${projectId}`
const teamUrl = (team: string) => `/api/integrations/rollout/teams/${encodeURIComponent(team)}`

function expectError (t: Test, res: LightMyRequestResponse, status: number, code: string, what: string) {
  t.equal(res.statusCode, status, `${what}: ${status}`)
  t.match(res.json(), { statusCode: status, code, message: /./, requestId: /./ }, `${what}: Error body with ${code}`)
}

/** A bearer header for a caller with these roles and, optionally, a team claim. */
const bearer = (app: TestApp, roles: Record<string, 'owner' | 'admin' | 'editor' | 'viewer'>, team?: string, sub = 'u_test') =>
  ({ authorization: `Bearer ${app.token({ sub, roles, ...(team === undefined ? {} : { team }) })}` })

eachBackend(t, 'rollout: every source, in order, over HTTP', async (t, backend) => {
  const test = await build(t, { backend, env: ENV })
  const { app } = test
  const read = async (projectId: string, team?: string) => {
    const res = await app.inject({ method: 'GET', url: state(projectId), headers: bearer(test, { [projectId]: 'viewer' }, team) })
    t.equal(res.statusCode, 200, `GET ${projectId} as ${team ?? 'no team'}`)
    return res.json()
  }

  t.same(await read('p_plain'), { projectId: 'p_plain', enabled: false, source: 'default' }, 'no team known: the default, and no team in the answer')
  t.same(await read('p_plain', INSIDE), { projectId: 'p_plain', enabled: true, source: 'percentage', team: INSIDE }, 'the caller\'s team inside the 30 %')
  t.same(await read('p_plain', OUTSIDE), { projectId: 'p_plain', enabled: false, source: 'percentage', team: OUTSIDE }, 'the caller\'s team outside it')
  t.same(await read('p_plain', LISTED_TEAM), { projectId: 'p_plain', enabled: true, source: 'team_allowlist', team: LISTED_TEAM }, 'a listed team (trimmed from ROLLOUT_TEAMS)')
  t.same(await read('p_listed', OUTSIDE), { projectId: 'p_listed', enabled: true, source: 'project_allowlist', team: OUTSIDE }, 'a listed project')
  t.same(await read('p_listed'), { projectId: 'p_listed', enabled: true, source: 'project_allowlist' }, 'a listed project needs no team')

  // The project's own team wins over the caller's claim; the claim is never written back.
  await app.db.insertInto('projects').values([{ id: 'p_team', team_id: INSIDE }, { id: 'p_teamless', team_id: null }]).execute()
  t.same(await read('p_team', OUTSIDE), { projectId: 'p_team', enabled: true, source: 'percentage', team: INSIDE }, 'projects.team_id decides, not the claim')
  t.same(await read('p_teamless', OUTSIDE), { projectId: 'p_teamless', enabled: false, source: 'percentage', team: OUTSIDE }, 'a project without a team uses the claim')
  const teamless = await app.db.selectFrom('projects').select('team_id').where('id', '=', 'p_teamless').executeTakeFirstOrThrow()
  t.equal(teamless.team_id, null, 'reading did not record the caller\'s team on the project')
  t.notOk(await app.db.selectFrom('projects').select('id').where('id', '=', 'p_plain').executeTakeFirst(), 'reading created no project row')

  // Overrides at runtime, each answer right after the write.
  const owner = bearer(test, { p_team: 'owner', p_listed: 'admin' }, INSIDE, 'u_owner')
  t.equal((await app.inject({ method: 'PUT', url: teamUrl(INSIDE), headers: owner, payload: { enabled: false } })).statusCode, 201, 'team override set')
  t.same(await read('p_team'), { projectId: 'p_team', enabled: false, source: 'team_override', team: INSIDE }, 'team override beats the percentage')
  t.equal((await app.inject({ method: 'PUT', url: teamUrl(INSIDE), headers: owner, payload: { enabled: false } })).statusCode, 200, 'team override replaced')
  t.same(await read('p_listed', INSIDE), { projectId: 'p_listed', enabled: false, source: 'team_override', team: INSIDE }, 'team override beats the project allowlist')
  t.equal((await app.inject({ method: 'PUT', url: projectUrl('p_team'), headers: owner, payload: { enabled: true } })).statusCode, 201, 'project override set')
  t.same(await read('p_team'), { projectId: 'p_team', enabled: true, source: 'project_override', team: INSIDE }, 'project override beats the team override')
  t.equal((await app.inject({ method: 'PUT', url: projectUrl('p_listed'), headers: owner, payload: { enabled: false } })).statusCode, 201)
  t.same(await read('p_listed'), { projectId: 'p_listed', enabled: false, source: 'project_override' }, 'project override beats the project allowlist')

  t.equal((await app.inject({ method: 'DELETE', url: projectUrl('p_team'), headers: owner })).statusCode, 204, 'project override removed')
  t.same(await read('p_team'), { projectId: 'p_team', enabled: false, source: 'team_override', team: INSIDE }, 'the team override decides again')
  t.equal((await app.inject({ method: 'DELETE', url: teamUrl(INSIDE), headers: owner })).statusCode, 204, 'team override removed')
  t.same(await read('p_team'), { projectId: 'p_team', enabled: true, source: 'percentage', team: INSIDE }, 'the percentage decides again')
})

eachBackend(t, 'rollout: writes answer the override; removing twice is 404', async (t, backend) => {
  const test = await build(t, { backend })
  const { app } = test
  const owner = bearer(test, { p_w: 'owner' }, 't_w', 'u_writer')

  const created = await app.inject({ method: 'PUT', url: projectUrl('p_w'), headers: owner, payload: { enabled: false } })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { scope: 'project', subject: 'p_w', enabled: false, updatedBy: 'u_writer' })
  t.ok(!Number.isNaN(Date.parse(created.json().updatedAt)), 'updatedAt is a timestamp')
  const replaced = await app.inject({ method: 'PUT', url: projectUrl('p_w'), headers: owner, payload: { enabled: true } })
  t.equal(replaced.statusCode, 200)
  t.match(replaced.json(), { scope: 'project', subject: 'p_w', enabled: true })

  const teamSet = await app.inject({ method: 'PUT', url: teamUrl('t_w'), headers: owner, payload: { enabled: true } })
  t.equal(teamSet.statusCode, 201)
  t.match(teamSet.json(), { scope: 'team', subject: 't_w', enabled: true, updatedBy: 'u_writer' })

  const got = await app.inject({ method: 'GET', url: state('p_w'), headers: owner })
  t.same(got.json(), { projectId: 'p_w', enabled: true, source: 'project_override', team: 't_w' })
  t.equal(got.headers['cache-control'], 'private, no-cache', 'never stored by shared caches')
  t.equal(got.headers.vary, 'Origin, Authorization, Cookie', 'CORS\'s Origin kept, the caller added')

  t.equal((await app.inject({ method: 'DELETE', url: projectUrl('p_w'), headers: owner })).statusCode, 204)
  expectError(t, await app.inject({ method: 'DELETE', url: projectUrl('p_w'), headers: owner }), 404, 'ROLLOUT_OVERRIDE_NOT_FOUND', 'project override already removed')
  t.equal((await app.inject({ method: 'DELETE', url: teamUrl('t_w'), headers: owner })).statusCode, 204)
  expectError(t, await app.inject({ method: 'DELETE', url: teamUrl('t_w'), headers: owner }), 404, 'ROLLOUT_OVERRIDE_NOT_FOUND', 'team override already removed')
  const rows = await app.db.selectFrom('rollout_overrides').selectAll().execute()
  t.same(rows, [], 'nothing left stored')
})

eachBackend(t, 'rollout: who may read and write', async (t, backend) => {
  const test = await build(t, { backend })
  const { app } = test
  const P = 'p_perm'
  const body = { enabled: false }

  t.test('reading needs a role on the project', async (t) => {
    expectError(t, await app.inject({ method: 'GET', url: state(P) }), 401, 'UNAUTHENTICATED', 'no token')
    expectError(t, await app.inject({ method: 'GET', url: state(P), headers: bearer(test, { p_other: 'owner' }) }), 403, 'FORBIDDEN', 'a role on another project only')
    for (const role of ['viewer', 'editor', 'admin', 'owner'] as const) {
      t.equal((await app.inject({ method: 'GET', url: state(P), headers: bearer(test, { [P]: role }) })).statusCode, 200, `${role} reads`)
    }
  })

  t.test('a project override: owner or admin of that project', async (t) => {
    for (const method of ['PUT', 'DELETE'] as const) {
      const payload = method === 'PUT' ? body : undefined
      expectError(t, await app.inject({ method, url: projectUrl(P), payload }), 401, 'UNAUTHENTICATED', `${method} without a token`)
      for (const role of ['viewer', 'editor'] as const) {
        expectError(t, await app.inject({ method, url: projectUrl(P), headers: bearer(test, { [P]: role }), payload }), 403, 'FORBIDDEN', `${method} as ${role}`)
      }
      expectError(t, await app.inject({ method, url: projectUrl(P), headers: bearer(test, { p_other: 'owner' }), payload }), 403, 'FORBIDDEN', `${method} as owner of another project`)
    }
    // Refused before validation: a bad body from a viewer is still 403, never a 400 that reveals the schema.
    expectError(t, await app.inject({ method: 'PUT', url: projectUrl(P), headers: bearer(test, { [P]: 'viewer' }), payload: { enabled: 'x' } }), 403, 'FORBIDDEN', 'viewer with a bad body')
    t.equal(await app.db.selectFrom('rollout_overrides').select('subject').executeTakeFirst(), undefined, 'no refused write stored anything')
    t.equal((await app.inject({ method: 'PUT', url: projectUrl(P), headers: bearer(test, { [P]: 'admin' }), payload: body })).statusCode, 201, 'admin sets it')
    t.equal((await app.inject({ method: 'DELETE', url: projectUrl(P), headers: bearer(test, { [P]: 'owner' }) })).statusCode, 204, 'owner removes it')
  })

  t.test('a team override: the token names the team and owns or administers a project', async (t) => {
    for (const method of ['PUT', 'DELETE'] as const) {
      const payload = method === 'PUT' ? body : undefined
      const attempt = (headers?: Record<string, string>) => app.inject({ method, url: teamUrl('t_a'), payload, ...(headers ? { headers } : {}) })
      expectError(t, await attempt(), 401, 'UNAUTHENTICATED', `${method} without a token`)
      expectError(t, await attempt(bearer(test, { [P]: 'owner' }, 't_b')), 403, 'FORBIDDEN', `${method} by an owner of another team`)
      expectError(t, await attempt(bearer(test, { [P]: 'owner' })), 403, 'FORBIDDEN', `${method} by an owner with no team claim`)
      expectError(t, await attempt(bearer(test, { [P]: 'editor', p_x: 'viewer' }, 't_a')), 403, 'FORBIDDEN', `${method} by the team's editor`)
      expectError(t, await attempt(bearer(test, {}, 't_a')), 403, 'FORBIDDEN', `${method} by a team member with no roles`)
    }
    expectError(t, await app.inject({ method: 'PUT', url: teamUrl('t_a'), headers: bearer(test, { [P]: 'viewer' }, 't_b'), payload: [] }), 403, 'FORBIDDEN', 'another team with a bad body')
    t.equal(await app.db.selectFrom('rollout_overrides').select('subject').executeTakeFirst(), undefined, 'no refused write stored anything')
    const admin = bearer(test, { [P]: 'viewer', p_x: 'admin' }, 't_a')
    t.equal((await app.inject({ method: 'PUT', url: teamUrl('t_a'), headers: admin, payload: body })).statusCode, 201, 'an admin of any project in the team sets it')
    t.equal((await app.inject({ method: 'DELETE', url: teamUrl('t_a'), headers: admin })).statusCode, 204, 'and removes it')
  })

  t.test('cookie-authenticated writes need the CSRF token', async (t) => {
    const session = await app.inject({ method: 'POST', url: '/api/auth/session', headers: bearer(test, { [P]: 'owner' }, 't_c') })
    t.equal(session.statusCode, 200)
    const cookies = Object.fromEntries((session.cookies as Array<{ name: string, value: string }>).map((c) => [c.name, c.value]))
    const csrf = session.json().csrfToken as string
    for (const url of [projectUrl(P), teamUrl('t_c')]) {
      expectError(t, await app.inject({ method: 'PUT', url, cookies, headers: { origin: TEST_ORIGIN }, payload: body }), 403, 'CSRF_FAILED', `PUT ${url} without the CSRF header`)
      const ok = await app.inject({ method: 'PUT', url, cookies, headers: { origin: TEST_ORIGIN, 'x-csrf-token': csrf }, payload: body })
      t.equal(ok.statusCode, 201, `PUT ${url} with it`)
    }
    t.equal((await app.inject({ method: 'GET', url: state(P), cookies })).statusCode, 200, 'reading needs no CSRF token')
  })
})

eachBackend(t, 'rollout: bad requests are 400 with the Error body', async (t, backend) => {
  const test = await build(t, { backend })
  const { app } = test
  const headers = bearer(test, { p_bad: 'owner' }, 't_bad')
  const json = { ...headers, 'content-type': 'application/json' }
  for (const url of [projectUrl('p_bad'), teamUrl('t_bad')]) {
    for (const [what, payload] of [
      ['enabled as a string', { enabled: 'true' }],
      ['enabled as a number', { enabled: 1 }],
      ['enabled missing', {}],
      ['an unknown property', { enabled: true, extra: 1 }],
      ['an array', [true]],
      ['null', null]
    ] as const) {
      expectError(t, await app.inject({ method: 'PUT', url, headers: json, payload: JSON.stringify(payload) }), 400, 'VALIDATION_FAILED', `PUT ${url}: ${what}`)
    }
    expectError(t, await app.inject({ method: 'PUT', url, headers }), 400, 'VALIDATION_FAILED', `PUT ${url}: no body`)
    expectError(t, await app.inject({ method: 'PUT', url, headers: json, payload: '{"enabled":' }), 400, 'INVALID_JSON', `PUT ${url}: broken JSON`)
  }
  const badProject = bearer(test, { 'p bad': 'owner', '-dash': 'owner' })
  expectError(t, await app.inject({ method: 'PUT', url: projectUrl('p%20bad'), headers: badProject, payload: { enabled: true } }), 400, 'VALIDATION_FAILED', 'a project id the schema refuses')
  expectError(t, await app.inject({ method: 'GET', url: state('-dash'), headers: badProject }), 400, 'VALIDATION_FAILED', 'GET with a bad project id')
  expectError(t, await app.inject({ method: 'GET', url: `${state('p_bad')}&extra=1`, headers }), 400, 'VALIDATION_FAILED', 'GET with an unknown parameter')
  expectError(t, await app.inject({ method: 'GET', url: '/api/integrations/rollout', headers }), 403, 'FORBIDDEN', 'GET without a project id names no project the caller holds')
  t.same(await app.db.selectFrom('rollout_overrides').selectAll().execute(), [], 'no bad request stored anything')
})
