import t from 'tap'
import { createHash } from 'node:crypto'
import { createRules, teamBucket, type RolloutConfig, type RolloutFacts } from '../../src/rollout/rules.js'

const TEAMS = Array.from({ length: 1000 }, (_, i) => `team_${i}`)
const enabledAt = (percent: number) => new Set(TEAMS.filter((team) => teamBucket(team) < percent))

t.test('the bucket is the first 4 bytes of sha256(team) mod 100, and never changes', async (t) => {
  // Pinned: a different hash would move teams in and out of the rollout on deploy.
  t.equal(teamBucket('t_1'), 3)
  t.equal(teamBucket('t_acme'), 79)
  const digest = createHash('sha256').update('team_42').digest()
  t.equal(teamBucket('team_42'), digest.readUInt32BE(0) % 100)
  t.same(TEAMS.filter((team) => !(Number.isInteger(teamBucket(team)) && teamBucket(team) >= 0 && teamBucket(team) < 100)), [], 'every bucket is an integer in 0..99')
})

t.test('the percentage is roughly proportional and monotonic', async (t) => {
  const at30 = enabledAt(30)
  t.ok(at30.size >= 250 && at30.size <= 350, `30 % enables between 25 % and 35 % of 1,000 teams (got ${at30.size})`)
  t.equal(enabledAt(0).size, 0, '0 % enables nobody')
  t.equal(enabledAt(100).size, TEAMS.length, '100 % enables everyone')
  const at50 = enabledAt(50)
  t.ok(at50.size >= 450 && at50.size <= 550, `50 % enables between 45 % and 55 % (got ${at50.size})`)
  t.same([...at30].filter((team) => !at50.has(team)), [], 'every team enabled at 30 % stays enabled at 50 %')
  let previous = enabledAt(0)
  for (let percent = 1; percent <= 100; percent++) {
    const current = enabledAt(percent)
    const lost = [...previous].filter((team) => !current.has(team))
    if (lost.length > 0) t.fail(`raising to ${percent} % dropped ${lost.join(', ')}`)
    previous = current
  }
  t.equal(previous.size, TEAMS.length, 'no percent step dropped a team')
})

t.test('rules decide in order: project override, team override, project allowlist, team allowlist, percentage, default', async (t) => {
  const inside = TEAMS.find((team) => teamBucket(team) < 30)!
  const outside = TEAMS.find((team) => teamBucket(team) >= 30)!
  const config: RolloutConfig = { defaultEnabled: false, teams: [outside], projects: ['p_listed'], percent: 30 }
  const decide = createRules(config)
  const facts = (extra: Partial<RolloutFacts>): RolloutFacts => ({ projectId: 'p_x', team: undefined, projectOverride: undefined, teamOverride: undefined, ...extra })

  t.same(decide(facts({})), { enabled: false, source: 'default' }, 'no team, nothing listed: the default')
  t.same(createRules({ ...config, defaultEnabled: true })(facts({})), { enabled: true, source: 'default' }, 'the default, true')
  t.same(decide(facts({ team: inside })), { enabled: true, source: 'percentage' }, 'a team in the percentage')
  t.same(decide(facts({ team: TEAMS.find((team) => teamBucket(team) >= 30 && team !== outside) })), { enabled: false, source: 'percentage' }, 'a team outside it')
  t.same(decide(facts({ team: outside })), { enabled: true, source: 'team_allowlist' }, 'team allowlist beats the percentage')
  t.same(decide(facts({ projectId: 'p_listed', team: outside })), { enabled: true, source: 'project_allowlist' }, 'project allowlist beats the team allowlist')
  t.same(decide(facts({ projectId: 'p_listed' })), { enabled: true, source: 'project_allowlist' }, 'project allowlist needs no team')
  t.same(decide(facts({ projectId: 'p_listed', team: outside, teamOverride: false })), { enabled: false, source: 'team_override' }, 'team override beats the allowlists')
  t.same(decide(facts({ team: outside, teamOverride: true, projectOverride: false })), { enabled: false, source: 'project_override' }, 'project override beats the team override')
  t.same(decide(facts({ projectId: 'p_listed', projectOverride: false })), { enabled: false, source: 'project_override' }, 'project override needs no team')
  t.same(decide(facts({ teamOverride: true })), { enabled: true, source: 'team_override' }, 'a team override as given')
})
