import t from 'tap'
import type { Test } from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eachBackend } from '../helper.js'
import { statusApp } from '../support/status-app.js'
import { openRawStream } from '../support/sse.js'
import { eventually } from '../support/events.js'
import { familyOf, parseExposition, queryNames, readText, readYaml, type Exposition } from '../support/deploy-files.js'

// Every series an alert (deploy/prometheus/alerts.yaml) or the dashboard
// (deploy/grafana/integration-status.json) reads must be in the service's real /metrics output,
// with the labels the query uses: the app is built by the test helper, driven through the routes
// that make the labelled series appear, then scraped.

/** Labels Prometheus attaches at scrape time; the service never exports them. */
const SCRAPE_LABELS = new Set(['instance', 'job'])

const alerts = readYaml('deploy/prometheus/alerts.yaml').groups.flatMap((g: any) => g.rules)
const dashboard = JSON.parse(readText('deploy/grafana/integration-status.json'))
const queries: Array<{ where: string, expr: string }> = [
  ...alerts.map((rule: any) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
  ...dashboard.panels.flatMap((panel: any) => (panel.targets ?? []).map((target: any) => ({ where: `panel "${panel.title}"`, expr: target.expr })))
]

t.test('the query reader finds metric names, matchers and grouping labels', async (t) => {
  const names = queryNames('sum by (provider) (rate(adapter_timeouts_total[10m])) / sum by (provider, le) (rate(adapter_call_duration_seconds_count{outcome!="ok"}[$__rate_interval])) > 0.05 and on (instance) jwks_keys == 0')
  t.same(names.selectors.map((s) => s.metric).sort(), ['adapter_call_duration_seconds_count', 'adapter_timeouts_total', 'jwks_keys'])
  t.same(names.selectors.find((s) => s.metric === 'adapter_call_duration_seconds_count')!.matchers, [{ label: 'outcome', op: '!=', value: 'ok' }])
  t.same(names.groupingLabels.sort(), ['instance', 'le', 'provider', 'provider'])
  t.throws(() => queryNames('{__name__="x"}'), /without a metric name/)
})

t.test('the dashboard is one Grafana dashboard whose datasource is a template variable', async (t) => {
  t.equal(typeof dashboard.uid, 'string')
  t.ok(dashboard.schemaVersion >= 36)
  const variable = dashboard.templating.list.find((v: any) => v.type === 'datasource')
  t.equal(variable?.query, 'prometheus')
  const reference = `\${${variable.name}}`
  const ids = new Set<number>()
  for (const panel of dashboard.panels) {
    t.notOk(ids.has(panel.id), `panel id ${panel.id} is unique`)
    ids.add(panel.id)
    if (panel.type === 'row') continue
    t.same(panel.datasource, { type: 'prometheus', uid: reference }, `"${panel.title}" uses the variable`)
    t.ok(panel.targets.length > 0, `"${panel.title}" has queries`)
    for (const target of panel.targets) t.same(target.datasource, { type: 'prometheus', uid: reference })
  }
  t.ok(queries.length > alerts.length, 'the dashboard has queries')
})

/** A JWKS on loopback, so an instance configured for an identity provider exports its JWKS series. */
async function jwksServer (t: Test) {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const body = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'metrics-test', use: 'sig', alg: 'RS256' }] })
  const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(body) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
}

eachBackend(t, 'every series the alerts and the dashboard read is in /metrics, with its labels', async (t, backend) => {
  const jwksUrl = await jwksServer(t)
  const app = await statusApp(t, {
    backend,
    listen: true,
    env: {
      // A check that outlives this times out (adapter_timeouts_total); one failure opens a circuit.
      PROVIDER_TIMEOUT_MS: '300',
      STATUS_DEADLINE_MS: '100',
      BREAKER_FAILURES: '1',
      AUTH_JWKS_URL: jwksUrl,
      AUTH_ISSUER: 'https://idp.example.test/',
      AUTH_AUDIENCE: 'integration-status'
    }
  })
  const projectId = 'p_metrics'
  await app.link(projectId, 'github', 'healthy')
  await app.link(projectId, 'vercel', 'server_error')
  await app.link(projectId, 'sanity', 'hanging')
  // Status lookups (status_cache_lookups_total) start the checks behind them (adapter_*).
  for (let i = 0; i < 3; i++) t.equal((await app.status(projectId)).statusCode, 200)

  // One stream opened and closed by its client: sse_streams_closed_total{reason="client"}.
  const stream = await openRawStream(`${app.url}/api/integrations/events?projectId=${projectId}`, app.as('viewer', projectId))
  t.equal(stream.status, 200)
  await stream.until((m) => m.event === 'ready')
  stream.close()

  let exposition: Exposition = parseExposition('')
  const scrape = async () => {
    const response = await app.app.inject('/metrics')
    t.equal(response.statusCode, 200)
    exposition = parseExposition(response.body)
    return exposition
  }
  const has = (name: string, labels: Record<string, string>) =>
    (exposition.samples.get(name) ?? []).some((sample) => Object.entries(labels).every(([k, v]) => sample[k] === v))
  await eventually(async () => {
    await scrape()
    return has('adapter_timeouts_total', { provider: 'sanity' }) &&
      has('circuit_breakers_open', { provider: 'vercel' }) &&
      has('sse_streams_closed_total', { reason: 'client' }) &&
      has('status_cache_lookups_total', { provider: 'github' })
  }, 'the timeout, the open circuit, the closed stream and the cache lookups reach /metrics').catch((error) => {
    t.comment([...exposition.samples].filter(([name]) => /^(adapter_timeouts|circuit_breakers_open|sse_streams_closed|status_cache)/.test(name)).map(([name, samples]) => `${name} ${JSON.stringify(samples)}`).join('\n'))
    throw error
  })

  for (const { where, expr } of queries) {
    const { selectors, groupingLabels } = queryNames(expr)
    t.ok(selectors.length > 0, `${where} reads a series`)
    const labelsSeen = new Set<string>()
    for (const selector of selectors) {
      const family = familyOf(exposition, selector.metric)
      t.ok(family, `${where}: ${selector.metric} is in /metrics`)
      const samples = exposition.samples.get(selector.metric) ?? []
      t.ok(samples.length > 0, `${where}: ${selector.metric} has samples`)
      for (const sample of samples) for (const label of Object.keys(sample)) labelsSeen.add(label)
      for (const matcher of selector.matchers) {
        if (SCRAPE_LABELS.has(matcher.label)) continue
        t.ok(samples.some((s) => matcher.label in s), `${where}: ${selector.metric} has the label ${matcher.label}`)
        // An exact value must be one the service really exports (a route template, a result).
        if (matcher.op === '=') t.ok(samples.some((s) => s[matcher.label] === matcher.value), `${where}: ${selector.metric}{${matcher.label}="${matcher.value}"} exists`)
      }
    }
    for (const label of groupingLabels) {
      if (SCRAPE_LABELS.has(label)) continue
      t.ok(labelsSeen.has(label), `${where}: grouped by ${label}, a label of its series`)
    }
  }
})
