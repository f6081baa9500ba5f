import { createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { Test } from 'tap'
import { adapterHarness, FIXED_NOW } from './harness.js'
import { fingerprint } from '../simulator/simulator.js'
import type { ScenarioName, ScenarioOptions } from '../simulator/simulator.js'
import {
  createSupabaseAdapter, SUPABASE_HEALTH_SERVICES, SUPABASE_HEALTH_TIMEOUT_MS, type SupabaseLinkConfig
} from '../../adapters/supabase/status.js'
import { createDatabaseProbe } from '../../adapters/supabase/database.js'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { CheckResult } from '../../src/provider-kit/manifest.js'
import type { ReadOnlyProviderHttp as ProviderHttp, ProviderResponse } from '../../src/provider-kit/http.js'
import { TEST_DATABASE_URL, realDatabaseProblem, realOnly } from '../support/cleanup.js'

const REF = 'qzrefabc'
const CONFIG: SupabaseLinkConfig = { projectRef: REF }
const CLOSED_PORT_URL = 'postgres://postgres@127.0.0.1:1/x'

type Expected =
  | { result: CheckResult }
  | { failure: { code: ProviderFailure['code'], retryAfter?: number, status?: number } }

interface Case {
  name: string
  scenario?: ScenarioName
  options?: ScenarioOptions
  timeoutMs?: number
  expect: Expected
}

const HEALTHY: Expected = { result: { status: 'connected', summary: 'All services healthy' } }

const CASES: Case[] = [
  { name: 'healthy', scenario: 'healthy', expect: HEALTHY },
  // Supabase has no notion of stale activity: the simulator answers it as healthy.
  { name: 'stale', scenario: 'stale', expect: HEALTHY },
  { name: 'revoked', scenario: 'revoked', expect: { failure: { code: 'oauth_revoked', status: 401 } } },
  { name: 'unregistered token', expect: { failure: { code: 'oauth_revoked', status: 401 } } },
  {
    name: 'missing scopes',
    scenario: 'missing_scopes',
    expect: {
      result: {
        status: 'warning',
        summary: 'Missing privileges',
        problem: { code: 'missing_permissions', hint: 'The Supabase token lacks the privileges to read this project\'s status and health: reconnect with a token from an account that has them' },
        suggestReconnect: true
      }
    }
  },
  { name: 'rate limited', scenario: 'rate_limited', options: { retryAfterSeconds: 42 }, expect: { failure: { code: 'rate_limited', retryAfter: 42, status: 429 } } },
  { name: 'server error', scenario: 'server_error', expect: { failure: { code: 'unknown', status: 500 } } },
  { name: 'malformed JSON', scenario: 'malformed', expect: { failure: { code: 'unknown' } } },
  { name: 'endless body', scenario: 'endless', expect: { failure: { code: 'unknown' } } },
  { name: 'connection reset', scenario: 'reset', expect: { failure: { code: 'unknown' } } },
  { name: 'hanging', scenario: 'hanging', timeoutMs: 300, expect: { failure: { code: 'timeout' } } },
  { name: 'slow but in time', scenario: 'slow', options: { delayMs: 150 }, expect: HEALTHY },
  { name: 'db unhealthy', scenario: 'unhealthy_service', options: { unhealthyService: 'db' }, expect: { result: { status: 'error', summary: 'Database unhealthy' } } },
  { name: 'auth unhealthy', scenario: 'unhealthy_service', options: { unhealthyService: 'auth' }, expect: { result: { status: 'warning', summary: 'Auth unhealthy' } } },
  { name: 'rest unhealthy', scenario: 'unhealthy_service', options: { unhealthyService: 'rest' }, expect: { result: { status: 'warning', summary: 'REST unhealthy' } } },
  {
    name: 'paused',
    scenario: 'paused',
    expect: { result: { status: 'error', summary: 'Project paused', problem: { code: 'project_paused', hint: 'Restore the project from the Supabase dashboard' } } }
  }
]

async function setup (t: Test) {
  const h = await adapterHarness(t)
  const adapter = createSupabaseAdapter({ apiUrl: h.sim.baseUrls.supabase })
  t.teardown(() => adapter.close())
  return { h, adapter }
}

/** No summary, hint or log line may carry the project ref, the database URL or its parts. */
function assertNoLeaks (t: Test, outcome: CheckResult | ProviderFailure, secrets: string[]) {
  const shown = outcome instanceof ProviderFailure ? outcome.message : JSON.stringify(outcome)
  for (const secret of secrets) t.notMatch(shown, secret, `does not reveal ${secret}`)
}

t.test('supabase adapter against the simulator', async (t) => {
  const { h, adapter } = await setup(t)
  for (const c of CASES) {
    t.test(c.name, async (t) => {
      const token = `sbp_${c.name.replace(/\W+/g, '_')}`
      if (c.scenario) h.sim.setScenario('supabase', token, c.scenario, c.options)
      const outcome = await h.run(adapter, CONFIG, { token }, c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs })
      if ('failure' in c.expect) {
        t.ok(outcome instanceof ProviderFailure, 'throws a ProviderFailure')
        t.match(outcome, c.expect.failure)
      } else {
        t.notOk(outcome instanceof ProviderFailure, 'answers a status')
        t.strictSame(outcome, c.expect.result)
      }
      assertNoLeaks(t, outcome, [REF, token])
    })
  }
})

t.test('asks Supabase exactly what the facts say', async (t) => {
  const { h, adapter } = await setup(t)
  h.sim.setScenario('supabase', 'sbp_wire', 'healthy')
  t.strictSame(await h.run(adapter, CONFIG, { token: 'sbp_wire' }), HEALTHY.result)
  t.equal(h.sim.calls.length, 2)
  t.ok(h.sim.calls.every((c) => c.method === 'GET' && c.tokenFingerprint === fingerprint('sbp_wire')), 'GETs with the bearer token')
  t.ok(h.sim.calls.some((c) => c.path === `/v1/projects/${REF}`), 'project status')
  const health = h.sim.calls.find((c) => c.path === `/v1/projects/${REF}/health`)!
  t.ok(health, 'service health')
  t.equal(health.query.services, 'auth,db,pooler,realtime,rest,storage')
  t.strictSame([...SUPABASE_HEALTH_SERVICES], health.query.services!.split(','))
  t.equal(Number(health.query.timeout_ms), SUPABASE_HEALTH_TIMEOUT_MS)
  t.ok(SUPABASE_HEALTH_TIMEOUT_MS > 0 && SUPABASE_HEALTH_TIMEOUT_MS <= 10_000, 'inside the API\'s 0–10000 range')
})

type FakeMode = 'bad_password' | 'too_many' | 'silent'

/**
 * A few bytes of the PostgreSQL wire protocol: enough to answer a login with the errors a
 * trust-auth test database never gives. Its messages name the user and host on purpose.
 */
async function fakePostgres (t: Test, mode: FakeMode) {
  const field = (type: string, value: string) => Buffer.from(`${type}${value}\0`)
  const errorResponse = (code: string, message: string) => {
    const body = Buffer.concat([field('S', 'FATAL'), field('V', 'FATAL'), field('C', code), field('M', message), Buffer.from([0])])
    const head = Buffer.alloc(5)
    head.write('E', 0)
    head.writeInt32BE(body.length + 4, 1)
    return Buffer.concat([head, body])
  }
  const askCleartextPassword = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    if (mode === 'silent') return
    let pending = Buffer.alloc(0)
    let started = false
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk])
      if (!started) {
        if (pending.length < 4 || pending.length < pending.readInt32BE(0)) return
        pending = pending.subarray(pending.readInt32BE(0))
        started = true
        if (mode === 'too_many') socket.end(errorResponse('53300', 'sorry, too many clients already for leaky_user at db.leakyhost.example'))
        else socket.write(askCleartextPassword)
        return
      }
      if (pending[0] === 0x70) socket.end(errorResponse('28P01', 'password authentication failed for user "leaky_user"'))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const port = (server.address() as AddressInfo).port
  return { url: `postgres://leaky_user:hunter2secret@127.0.0.1:${port}/leakydb`, accepted: () => accepted }
}

const DB_SECRETS = ['hunter2secret', 'leaky_user', 'leakydb', 'leakyhost', '127.0.0.1', 'postgres://']

t.test('database latency probe', async (t) => {
  const { h, adapter } = await setup(t)
  // ctx.config carries the masked URL; only credentials.databaseUrl is the real one.
  const check = (token: string, databaseUrl: string, options: { timeoutMs?: number } = {}) =>
    h.run(adapter, { projectRef: REF, databaseUrl: databaseUrl.replace(/:[^:@/]*@/, ':***@') }, { token, databaseUrl }, options)

  const problem = await realDatabaseProblem(TEST_DATABASE_URL)
  t.test('the real local PostgreSQL', { skip: realOnly(problem) }, async (t) => {
    h.sim.setScenario('supabase', 'sbp_db_ok', 'healthy')
    const outcome = await check('sbp_db_ok', TEST_DATABASE_URL)
    t.match(outcome, { status: 'connected', summary: /^Database healthy · \d+ms avg$/ })
    t.notOk((outcome as CheckResult).problem, 'no problem attached')
    const again = await check('sbp_db_ok', TEST_DATABASE_URL)
    t.match(again, { status: 'connected', summary: /^Database healthy · \d+ms avg$/ }, 'a reused pool still measures')
    assertNoLeaks(t, again, [REF, TEST_DATABASE_URL])
  })

  const cases: { name: string, scenario: ScenarioName, options?: ScenarioOptions, url: () => Promise<string>, timeoutMs?: number, expect: CheckResult }[] = [
    {
      name: 'a closed port',
      scenario: 'healthy',
      url: async () => CLOSED_PORT_URL,
      expect: { status: 'error', summary: 'Database unreachable', problem: { code: 'database_error', hint: 'Check that the database URL points at a running project that accepts connections' } }
    },
    {
      name: 'a wrong password (28P01)',
      scenario: 'healthy',
      url: async () => (await fakePostgres(t, 'bad_password')).url,
      expect: { status: 'error', summary: 'Database login failed', problem: { code: 'database_error', hint: 'Reconnect Supabase with a database URL whose user and password are current' }, suggestReconnect: true }
    },
    {
      name: 'too many connections (53300)',
      scenario: 'healthy',
      url: async () => (await fakePostgres(t, 'too_many')).url,
      expect: { status: 'warning', summary: 'Database connection limit reached', problem: { code: 'database_error', hint: 'Close idle connections or connect through the Supabase connection pooler' } }
    },
    {
      // Its connect timeout is longer than the check's: only the signal can end this one.
      name: 'a server that never answers, cut by the check deadline',
      scenario: 'healthy',
      url: async () => (await fakePostgres(t, 'silent')).url,
      timeoutMs: 300,
      expect: { status: 'error', summary: 'Database unreachable', problem: { code: 'database_error', hint: 'Check that the database URL points at a running project that accepts connections' } }
    },
    {
      name: 'paused project outranks the unreachable database',
      scenario: 'paused',
      url: async () => CLOSED_PORT_URL,
      expect: { status: 'error', summary: 'Project paused', problem: { code: 'project_paused', hint: 'Restore the project from the Supabase dashboard' } }
    },
    {
      name: 'an unreachable database outranks a service warning',
      scenario: 'unhealthy_service',
      options: { unhealthyService: 'storage' },
      url: async () => CLOSED_PORT_URL,
      expect: { status: 'error', summary: 'Database unreachable', problem: { code: 'database_error', hint: 'Check that the database URL points at a running project that accepts connections' } }
    },
    {
      name: 'between two warnings the API one is shown',
      scenario: 'unhealthy_service',
      options: { unhealthyService: 'auth' },
      url: async () => (await fakePostgres(t, 'too_many')).url,
      expect: { status: 'warning', summary: 'Auth unhealthy' }
    }
  ]
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const token = `sbp_db_${c.name.replace(/\W+/g, '_')}`
      h.sim.setScenario('supabase', token, c.scenario, c.options)
      const url = await c.url()
      const outcome = await check(token, url, c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs })
      t.strictSame(outcome, c.expect)
      assertNoLeaks(t, outcome, [REF, url, ...DB_SECRETS])
    })
  }
})

t.test('probe pools: one per URL, oldest evicted, all closed', async (t) => {
  const probe = createDatabaseProbe({ maxPools: 2 })
  t.teardown(() => probe.close())
  const signal = new AbortController().signal
  t.match(await probe.probe('postgres://u@127.0.0.1:1/a', signal), { ok: false, summary: 'Database unreachable' })
  t.match(await probe.probe('postgres://u@127.0.0.1:1/a', signal), { ok: false })
  t.equal(probe.size, 1, 'the same URL reuses its pool')
  await probe.probe('postgres://u@127.0.0.1:2/b', signal)
  await probe.probe('postgres://u@127.0.0.1:3/c', signal)
  t.equal(probe.size, 2, 'capped')
  await probe.close()
  t.equal(probe.size, 0)
})

t.test('an already aborted signal never reaches the database', async (t) => {
  const fake = await fakePostgres(t, 'bad_password')
  const probe = createDatabaseProbe()
  t.teardown(() => probe.close())
  const outcome = await probe.probe(fake.url, AbortSignal.abort())
  t.match(outcome, { ok: false, status: 'error', summary: 'Database unreachable' })
  t.equal(fake.accepted(), 0, 'no connection opened')
  t.equal(probe.size, 0, 'no pool created')
})

/** An in-process ProviderHttp for answers the simulator never gives. */
function stubHttp (answer: (url: URL) => Partial<ProviderResponse>) {
  const seen = { inFlight: 0, maxInFlight: 0 }
  const http: ProviderHttp = {
    async getJson (url) {
      seen.inFlight++
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight)
      await new Promise((resolve) => setImmediate(resolve))
      seen.inFlight--
      return { status: 200, headers: {}, body: undefined, ...answer(new URL(url)) }
    }
  }
  return { http, seen }
}

const PROJECT = { status: 200, body: { ref: REF, status: 'ACTIVE_HEALTHY' } }
const service = (name: string, status = 'ACTIVE_HEALTHY') => ({ name, healthy: status === 'ACTIVE_HEALTHY', status })
const HEALTH = { status: 200, body: SUPABASE_HEALTH_SERVICES.map((name) => service(name)) }

async function checkWith (project: Partial<ProviderResponse>, health: Partial<ProviderResponse>) {
  const adapter = createSupabaseAdapter({ apiUrl: 'http://supabase.test' })
  const stub = stubHttp((url) => url.pathname.endsWith('/health') ? health : project)
  try {
    const result = await adapter.check({ projectId: 'p', config: CONFIG, credentials: { token: 'sbp' }, signal: new AbortController().signal, now: FIXED_NOW, http: stub.http })
    return { outcome: result as CheckResult | ProviderFailure, seen: stub.seen }
  } catch (error) {
    if (error instanceof ProviderFailure) return { outcome: error, seen: stub.seen }
    throw error
  } finally {
    await adapter.close()
  }
}

t.test('project states, health shapes and headers', async (t) => {
  const withStatus = (status: string) => ({ body: { ref: REF, status } })
  const cases: { name: string, project?: Partial<ProviderResponse>, health?: Partial<ProviderResponse>, expect: object }[] = [
    { name: 'PAUSING', project: withStatus('PAUSING'), expect: { status: 'error', summary: 'Project paused' } },
    { name: 'INIT_FAILED', project: withStatus('INIT_FAILED'), expect: { status: 'error', summary: 'Project setup failed' } },
    { name: 'REMOVED', project: withStatus('REMOVED'), expect: { status: 'error', summary: 'Project removed' } },
    { name: 'GOING_DOWN', project: withStatus('GOING_DOWN'), expect: { status: 'error' } },
    { name: 'RESTORING', project: withStatus('RESTORING'), expect: { status: 'warning', summary: 'Project restoring' } },
    { name: 'UNKNOWN', project: withStatus('UNKNOWN'), expect: { status: 'warning', summary: 'Project status unknown' } },
    { name: 'a status added later', project: withStatus('HIBERNATING'), expect: { status: 'warning', summary: 'Project status unknown' } },
    { name: 'ACTIVE_UNHEALTHY with a sick service', project: withStatus('ACTIVE_UNHEALTHY'), health: { body: [service('db'), service('storage', 'UNHEALTHY')] }, expect: { status: 'warning', summary: 'Storage unhealthy' } },
    { name: 'ACTIVE_UNHEALTHY, every asked service fine', project: withStatus('ACTIVE_UNHEALTHY'), expect: { status: 'warning', summary: 'Project unhealthy' } },
    { name: 'several unhealthy', health: { body: [service('auth', 'UNHEALTHY'), service('db'), service('storage', 'UNHEALTHY')] }, expect: { status: 'warning', summary: 'Auth, Storage unhealthy' } },
    { name: 'db unhealthy outranks others', health: { body: [service('auth', 'UNHEALTHY'), service('db', 'UNHEALTHY')] }, expect: { status: 'error', summary: 'Database unhealthy' } },
    { name: 'coming up', health: { body: [service('realtime', 'COMING_UP'), service('db')] }, expect: { status: 'warning', summary: 'Realtime starting' } },
    { name: 'only the deprecated boolean', health: { body: [{ name: 'pooler', healthy: false }] }, expect: { status: 'warning', summary: 'Pooler unhealthy' } },
    { name: 'a service name we do not know', health: { body: [{ name: REF, status: 'UNHEALTHY' }] }, expect: { status: 'warning', summary: 'Other services unhealthy' } },
    { name: 'junk entries are ignored', health: { body: [null, 'x', { status: 'UNHEALTHY' }, service('db')] }, expect: { status: 'connected', summary: 'All services healthy' } },
    { name: '404', project: { status: 404, body: { message: 'Not Found' } }, expect: { status: 'error', summary: 'Project not found' } },
    { name: '403 on health alone', health: { status: 403 }, expect: { status: 'warning', suggestReconnect: true } },
    { name: 'health not a list', health: { body: { services: [] } }, expect: { code: 'unknown' } },
    { name: 'project without status', project: { body: { ref: REF } }, expect: { code: 'unknown' } },
    { name: '502 HTML', project: { status: 502, body: undefined }, expect: { code: 'unknown', status: 502 } },
    { name: '429: x-ratelimit-reset is relative seconds', health: { status: 429, headers: { 'x-ratelimit-reset': '42' } }, expect: { code: 'rate_limited', retryAfter: 42 } },
    { name: '429: retry-after when no reset', project: { status: 429, headers: { 'retry-after': '9' } }, expect: { code: 'rate_limited', retryAfter: 9 } },
    { name: '429: no headers', project: { status: 429 }, expect: { code: 'rate_limited', retryAfter: 60 } },
    { name: '401 outranks 429', project: { status: 429 }, health: { status: 401 }, expect: { code: 'oauth_revoked' } }
  ]
  for (const c of cases) {
    const { outcome } = await checkWith({ ...PROJECT, ...c.project }, { ...HEALTH, ...c.health })
    t.match(outcome, c.expect, c.name)
    if ('code' in c.expect) t.ok(outcome instanceof ProviderFailure, `${c.name}: a failure`)
    else assertNoLeaks(t, outcome, [REF])
  }
})

t.test('status and health run in parallel', async (t) => {
  const { seen } = await checkWith(PROJECT, HEALTH)
  t.equal(seen.maxInFlight, 2)
})

t.test('actions and identity', async (t) => {
  const adapter = createSupabaseAdapter({ apiUrl: 'http://supabase.test' })
  t.teardown(() => adapter.close())
  t.equal(adapter.key, 'supabase')
  t.equal(adapter.label, 'Supabase')
  t.strictSame(adapter.actions, [
    { id: 'test-connection', label: 'Test connection', capability: 'configure' },
    { id: 'disconnect', label: 'Disconnect', capability: 'connect' }
  ])
})
