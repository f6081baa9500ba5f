import t from 'tap'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { DEPLOY, readText, readYaml, withCommand } from '../support/deploy-files.js'

// deploy/prometheus/: the rules and the compose Prometheus configuration checked by promtool (Debian's
// prometheus package; .ci/run installs it), the rules' unit tests run by it, and every alert tied
// to its runbook section in docs/operations.md.

const promtool = (...args: string[]) => execFileSync('promtool', args, { cwd: join(DEPLOY, 'prometheus'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
const alerts = readYaml('deploy/prometheus/alerts.yaml').groups.flatMap((g: any) => g.rules)

withCommand(t, 'promtool', 'prometheus', 'promtool: the rules and the configuration are valid, the rule tests pass', async (t) => {
  t.match(promtool('check', 'rules', 'alerts.yaml'), new RegExp(`SUCCESS: ${alerts.length} rules found`))
  t.match(promtool('check', 'config', 'prometheus.yml'), /SUCCESS: prometheus\.yml is valid/)
  // Exits non-zero (and execFileSync throws with promtool's report) when any case fails.
  t.match(promtool('test', 'rules', 'alerts.test.yaml'), /SUCCESS/)
})

withCommand(t, 'promtool', 'prometheus', 'promtool test rules fails when an alert breaks', async (t) => {
  // The same tests against a threshold moved from 0.5 s to 5 s: the latency case must fail.
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const dir = mkdtempSync(join(tmpdir(), 'alerts-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'alerts.yaml'), readText('deploy/prometheus/alerts.yaml').replace(/\) > 0\.5\n/, ') > 5\n'))
  writeFileSync(join(dir, 'alerts.test.yaml'), readText('deploy/prometheus/alerts.test.yaml'))
  let report = ''
  try {
    execFileSync('promtool', ['test', 'rules', 'alerts.test.yaml'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    report = String((error as { stdout?: string }).stdout) + String((error as { stderr?: string }).stderr)
  }
  t.match(report, /FAILED[\s\S]*IntegrationStatusLatencyHigh/)
})

t.test('every alert is tested, and has a severity, a summary and a runbook section', async (t) => {
  const tests = readYaml('deploy/prometheus/alerts.test.yaml').tests.flatMap((c: any) => c.alert_rule_test)
  const operations = readText('docs/operations.md')
  // GitHub's heading anchors: lower case, spaces to dashes, punctuation dropped.
  const anchors = new Set([...operations.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')))
  t.ok(alerts.length >= 8)
  for (const rule of alerts) {
    t.ok(['page', 'ticket'].includes(rule.labels?.severity), `${rule.alert}: severity page or ticket`)
    t.ok(rule.annotations?.summary, `${rule.alert}: a summary`)
    const anchor = /^docs\/operations\.md#(.+)$/.exec(rule.annotations?.runbook_url ?? '')?.[1]
    t.equal(anchor, rule.alert.toLowerCase(), `${rule.alert}: runbook_url names its own section`)
    t.ok(anchors.has(anchor!), `${rule.alert}: docs/operations.md has the section #${anchor}`)
    const cases = tests.filter((c: any) => c.alertname === rule.alert)
    t.ok(cases.some((c: any) => c.exp_alerts.length > 0), `${rule.alert}: a test where it fires`)
    t.ok(cases.some((c: any) => c.exp_alerts.length === 0), `${rule.alert}: a test where it does not`)
  }
})
