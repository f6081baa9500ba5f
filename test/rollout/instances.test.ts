import t from 'tap'
import type { Test } from 'tap'
import { build, realOnly, REAL_BACKENDS_PROBLEM, type TestApp } from '../helper.js'
import { ROLLOUT_CHANGED_CHANNEL } from '../../src/rollout/rollout.js'

/**
 * Two instances on one PostgreSQL schema and Redis prefix: an override written through one
 * changes the other's answer as soon as its announcement arrives, well before the copies' TTL.
 */

/** Resolves `heard(message)` once the instance has received that announcement. */
async function announcements (t: Test, instance: TestApp) {
  const received: string[] = []
  let wake = () => {}
  // Subscribed after the app's own handler (registered at boot), so Redis delivers to that one first.
  const stop = await instance.app.backends.pubsub.subscribe(ROLLOUT_CHANGED_CHANNEL, (message) => {
    received.push(message)
    wake()
  })
  t.teardown(stop)
  return async (message: string) => {
    while (!received.includes(message)) await new Promise<void>((resolve) => { wake = resolve })
    received.splice(received.indexOf(message), 1)
  }
}

t.test('an override written on one instance changes the answer on another at once', { skip: realOnly(REAL_BACKENDS_PROBLEM) }, async (t) => {
  const env = { ROLLOUT_DEFAULT: 'false', ROLLOUT_PERCENT: '0' }
  const a = await build(t, { backend: 'real', env })
  const b = await build(t, { backend: 'real', env: { ...env, DATABASE_SCHEMA: a.schema!, REDIS_PREFIX: a.redisPrefix! } })
  const heard = await announcements(t, b)
  const owner = { authorization: `Bearer ${a.token({ sub: 'u_owner', roles: { p_multi: 'owner' }, team: 't_multi' })}` }
  const read = async () => (await b.app.inject({ method: 'GET', url: '/api/integrations/rollout?projectId=p_multi', headers: owner })).json()

  // b reads first, so it holds copies of the project's and the team's rules.
  t.same(await read(), { projectId: 'p_multi', enabled: false, source: 'percentage', team: 't_multi' }, 'b before any override')

  t.equal((await a.app.inject({ method: 'PUT', url: '/api/integrations/rollout/teams/t_multi', headers: owner, payload: { enabled: true } })).statusCode, 201)
  await heard('team:t_multi')
  t.same(await read(), { projectId: 'p_multi', enabled: true, source: 'team_override', team: 't_multi' }, 'b sees a\'s team override')

  t.equal((await a.app.inject({ method: 'PUT', url: '/api/integrations/rollout/projects/p_multi', headers: owner, payload: { enabled: false } })).statusCode, 201)
  await heard('project:p_multi')
  t.same(await read(), { projectId: 'p_multi', enabled: false, source: 'project_override', team: 't_multi' }, 'b sees a\'s project override')

  t.equal((await a.app.inject({ method: 'DELETE', url: '/api/integrations/rollout/projects/p_multi', headers: owner })).statusCode, 204)
  await heard('project:p_multi')
  t.same(await read(), { projectId: 'p_multi', enabled: true, source: 'team_override', team: 't_multi' }, 'b sees the project override gone')

  // And the other way round: b writes, a (holding a copy now) answers.
  const heardOnA = await announcements(t, a)
  const readOnA = async () => (await a.app.inject({ method: 'GET', url: '/api/integrations/rollout?projectId=p_multi', headers: owner })).json()
  t.same(await readOnA(), { projectId: 'p_multi', enabled: true, source: 'team_override', team: 't_multi' }, 'a before b\'s removal')
  t.equal((await b.app.inject({ method: 'DELETE', url: '/api/integrations/rollout/teams/t_multi', headers: owner })).statusCode, 204)
  await heardOnA('team:t_multi')
  t.same(await readOnA(), { projectId: 'p_multi', enabled: false, source: 'percentage', team: 't_multi' }, 'a sees b\'s removal')
})
