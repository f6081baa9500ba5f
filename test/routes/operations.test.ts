import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { build, eachBackend } from '../helper.js'

eachBackend(t, 'liveness and readiness', async (t, backend) => {
  const { app } = await build(t, { backend })
  const live = await app.inject('/healthz')
  t.same(live.json(), { status: 'ok' })
  const ready = await app.inject('/readyz')
  t.equal(ready.statusCode, 200)
  t.match(ready.json(), { status: 'ready', checks: { database: { ok: true }, backends: { ok: true } } })
})

t.test('readiness fails, without leaking the URL, when Redis is unreachable', async (t) => {
  // Port 1 on loopback: nothing listens, connections are refused at once.
  const { app } = await build(t, { env: { REDIS_URL: 'redis://:hunter2-redis-password@127.0.0.1:1' } })
  const res = await app.inject('/readyz')
  t.equal(res.statusCode, 503)
  t.match(res.json(), { status: 'not_ready', checks: { database: { ok: true }, backends: { ok: false, error: /^redis (unreachable|timed out)$/ } } })
  t.notMatch(res.body, 'hunter2')
})

t.test('metrics: request durations by route template and status, plus process metrics', async (t) => {
  const { app, as } = await build(t)
  await app.inject({ url: '/api/projects/p_m1/integrations', headers: as('owner', 'p_m1') })
  await app.inject({ url: '/api/projects/p_m2/integrations', headers: as('viewer', 'p_m2') })
  await app.inject('/nope')
  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  t.match(res.body, /http_request_duration_seconds_count\{method="GET",route="\/api\/projects\/:projectId\/integrations",status_code="200"\} 1/)
  t.match(res.body, /http_request_duration_seconds_count\{method="GET",route="\/api\/projects\/:projectId\/integrations",status_code="403"\} 1/)
  t.notMatch(res.body, 'p_m1', 'raw URLs never become labels')
  t.match(res.body, /process_cpu_user_seconds_total/)
})

t.test('request ids, security headers, and logs without secrets', async (t) => {
  const { app, logs, as } = await build(t)
  const auth = as('owner', 'p_log')
  const echoed = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-abc-123' } })
  t.equal(echoed.headers['x-request-id'], 'trace-abc-123', 'a harmless caller id is kept')
  const replaced = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id with spaces' } })
  t.match(replaced.headers['x-request-id'], /^[\w-]{16}-[0-9a-z]+$/, 'an unsafe one is replaced by one of ours')
  const again = await app.inject({ url: '/healthz' })
  t.not(again.headers['x-request-id'], replaced.headers['x-request-id'], 'ours are never the same twice')
  t.equal(echoed.headers['x-content-type-options'], 'nosniff')
  t.notOk(echoed.headers['x-powered-by'])

  const failed = await app.inject({ url: '/api/projects/p_other/integrations', headers: { ...auth, cookie: 'is_session=cookie-secret-value' } })
  t.equal(failed.statusCode, 403)
  t.equal(failed.json().requestId, failed.headers['x-request-id'], 'the error body carries the request id')
  const token = auth.authorization.slice(7)
  t.ok(logs.some((l) => l.includes('"reqId"')), 'request logs carry the id')
  t.notOk(logs.some((l) => l.includes(token)), 'the bearer token is redacted')
  t.notOk(logs.some((l) => l.includes('cookie-secret-value')), 'cookies are redacted')
})

t.test('CORS answers only allowed origins', async (t) => {
  const { app } = await build(t)
  const allowed = await app.inject({ method: 'OPTIONS', url: '/api/auth/session', headers: { origin: 'https://app.example.test', 'access-control-request-method': 'POST' } })
  t.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.test')
  t.equal(allowed.headers['access-control-allow-credentials'], 'true')
  const foreign = await app.inject({ method: 'OPTIONS', url: '/api/auth/session', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
  t.notOk(foreign.headers['access-control-allow-origin'], 'no CORS grant for a foreign origin')
})

t.test('SIGTERM shuts the server down gracefully', async (t) => {
  const server = fileURLToPath(new URL('../../src/server.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', server], {
    env: { ...process.env, PORT: '0', DATA_DIR: 'memory://', LOG_LEVEL: 'info', DATABASE_URL: '', REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout.on('data', (chunk) => { out += chunk })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  t.teardown(() => { child.kill('SIGKILL') })
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60_000)
    child.stdout.on('data', () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (match) { clearTimeout(timer); resolve(match[1]!) }
    })
  })
  const res = await fetch(`${address}/healthz`)
  t.equal(res.status, 200, 'it served')
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'exit code 0')
  t.match(out, /"signal":"SIGTERM".*shutting down/)
})
