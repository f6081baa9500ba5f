import t from 'tap'
import { loadConfig } from '../../plugins/config.js'
import { build } from '../helper.js'

const base = { DATA_DIR: 'memory://', NODE_ENV: 'test' }

t.test('ROLLOUT_* defaults: on for everyone', async (t) => {
  t.same(loadConfig(base).rollout, { defaultEnabled: true, teams: [], projects: [], percent: 100 })
})

t.test('ROLLOUT_* values are parsed, lists trimmed and deduplicated', async (t) => {
  const config = loadConfig({ ...base, ROLLOUT_DEFAULT: 'false', ROLLOUT_PERCENT: '25', ROLLOUT_TEAMS: ' t_a, t_b ,,t_a', ROLLOUT_PROJECTS: 'p_1,p_2 ' })
  t.same(config.rollout, { defaultEnabled: false, teams: ['t_a', 't_b'], projects: ['p_1', 'p_2'], percent: 25 })
})

t.test('bad ROLLOUT_* values stop boot, naming the variable', async (t) => {
  for (const [env, pattern] of [
    [{ ROLLOUT_PERCENT: '101' }, /^ROLLOUT_PERCENT:/],
    [{ ROLLOUT_PERCENT: '-1' }, /^ROLLOUT_PERCENT:/],
    [{ ROLLOUT_DEFAULT: 'maybe' }, /^ROLLOUT_DEFAULT:/],
    [{ ROLLOUT_PROJECTS: 'p_ok,"p_quoted"' }, /^ROLLOUT_PROJECTS: ""p_quoted"" is not a valid project id/]
  ] as const) {
    t.throws(() => loadConfig({ ...base, ...env }), { name: 'ConfigError', message: pattern }, JSON.stringify(env))
  }
})

t.test('ROLLOUT_DEFAULT=false with every team in the percentage is warned about at boot', async (t) => {
  const warned = (logs: string[]) => logs.some((line) => line.includes('"level":40') && line.includes('ROLLOUT_DEFAULT=false decides only'))
  const misleading = await build(t, { env: { ROLLOUT_DEFAULT: 'false' } })
  t.ok(warned(misleading.logs), 'warned with ROLLOUT_PERCENT at its default of 100')
  const intended = await build(t, { env: { ROLLOUT_DEFAULT: 'false', ROLLOUT_PERCENT: '0' } })
  t.notOk(warned(intended.logs), 'not warned with ROLLOUT_PERCENT=0')
})
