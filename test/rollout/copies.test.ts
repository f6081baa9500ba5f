import t from 'tap'
import { build, eachBackend } from '../helper.js'
import { createRollout } from '../../src/rollout/rollout.js'

/**
 * The per-instance copies of the rules, with a clock moved by hand: a change made behind the
 * service's back (another instance whose announcement is lost) is seen once the copy's TTL
 * passes, and a `rollout-changed` message drops the copy at once.
 */

const CONFIG = { defaultEnabled: false, teams: [], projects: [], percent: 0 }
const TTL = 5_000

eachBackend(t, 'rollout copies: kept for the TTL, dropped by a message or a local write', async (t, backend) => {
  const { app } = await build(t, { backend })
  let clock = 0
  const rollout = createRollout(app.db, CONFIG, { now: () => clock, ttlMs: TTL })
  const announced: string[] = []
  rollout.onChange((message) => announced.push(message))
  const write = (scope: 'project' | 'team', subject: string, enabled: boolean) =>
    app.db.insertInto('rollout_overrides').values({ scope, subject, enabled, updated_by: 'u_elsewhere' })
      .onConflict((oc) => oc.columns(['scope', 'subject']).doUpdateSet({ enabled })).execute()

  t.match(await rollout.evaluate('p_c', 't_c'), { enabled: false, source: 'percentage' }, 'first read')
  await write('project', 'p_c', true)
  t.match(await rollout.evaluate('p_c', 't_c'), { enabled: false, source: 'percentage' }, 'a change nobody announced is not seen within the TTL')
  clock += TTL
  t.match(await rollout.evaluate('p_c', 't_c'), { enabled: true, source: 'project_override' }, 'seen once the TTL has passed')

  await write('project', 'p_c', false)
  rollout.forget('project:p_c')
  t.match(await rollout.evaluate('p_c', 't_c'), { enabled: false, source: 'project_override' }, 'a project message drops the copy at once')

  await app.db.deleteFrom('rollout_overrides').execute()
  rollout.forget('project:p_c')
  t.match(await rollout.evaluate('p_c', 't_c'), { enabled: false, source: 'percentage' }, 'back to the percentage')
  await write('team', 't_c', true)
  rollout.forget('project:p_c')
  t.match(await rollout.evaluate('p_c', 't_c'), { enabled: false, source: 'percentage' }, 'a project message leaves the team\'s copy')
  rollout.forget('team:t_c')
  t.match(await rollout.evaluate('p_c', 't_c'), { enabled: true, source: 'team_override' }, 'a team message drops it')

  await write('team', 't_c', false)
  await write('project', 'p_c', true)
  rollout.forget('something-newer')
  t.match(await rollout.evaluate('p_c', 't_c'), { enabled: true, source: 'project_override' }, 'an unknown message drops every copy')
  rollout.forget('project:p_c')
  await app.db.deleteFrom('rollout_overrides').where('scope', '=', 'project').execute()
  rollout.forget('project:p_c')
  t.match(await rollout.evaluate('p_c', 't_c'), { enabled: false, source: 'team_override' }, 'the team copy was dropped too')

  // Writes through the service drop this instance's copy themselves, and announce the change.
  await rollout.setOverride('project', 'p_c', true, 'u_here')
  t.match(await rollout.evaluate('p_c', 't_c'), { enabled: true, source: 'project_override' }, 'own write seen at once')
  await rollout.setOverride('team', 't_c', true, 'u_here')
  await rollout.removeOverride('project', 'p_c')
  t.match(await rollout.evaluate('p_c', 't_c'), { enabled: true, source: 'team_override' }, 'own team write and removal seen at once')
  t.same(announced, ['project:p_c', 'team:t_c', 'project:p_c'], 'each write announced its subject')
})

eachBackend(t, 'rollout copies: a read in flight when a change is announced is not kept', async (t, backend) => {
  const { app } = await build(t, { backend })
  const rollout = createRollout(app.db, CONFIG, { now: () => 0, ttlMs: TTL })
  // The read may have seen the database before the change; the message arrives before it answers.
  const inFlight = rollout.evaluate('p_race')
  rollout.forget('project:p_race')
  t.match(await inFlight, { source: 'default' }, 'the read in flight answers what it saw')
  await app.db.insertInto('rollout_overrides').values({ scope: 'project', subject: 'p_race', enabled: true, updated_by: 'u_elsewhere' }).execute()
  t.match(await rollout.evaluate('p_race'), { enabled: true, source: 'project_override' }, 'but its answer was not kept: the next read goes to the database')
})

eachBackend(t, 'rollout copies: concurrent reads share one query; a failed read is not kept', async (t, backend) => {
  const { app } = await build(t, { backend })
  let queries = 0
  let failNext = false
  // A Kysely plugin counts the queries reaching the database and can make one fail.
  const db = app.db.withPlugin({
    transformQuery: (args) => {
      queries++
      if (failNext) {
        failNext = false
        throw new Error('database unavailable')
      }
      return args.node
    },
    transformResult: async (args) => args.result
  })
  const rollout = createRollout(db, CONFIG, { now: () => 0, ttlMs: TTL })
  const answers = await Promise.all(Array.from({ length: 10 }, () => rollout.evaluate('p_many')))
  t.equal(queries, 1, 'ten concurrent reads of a project without a team: one query')
  t.same(new Set(answers.map((a) => a.source)), new Set(['default']))

  failNext = true
  await t.rejects(rollout.evaluate('p_failing'), /database unavailable/, 'the failure reaches the caller')
  t.match(await rollout.evaluate('p_failing'), { source: 'default' }, 'the next read tries again')
})
