import { createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { Test } from 'tap'
import pg from 'pg'
import { actionHarness, executor } from './actions-harness.js'
import { createSupabaseExecutors, SUPABASE_DISCONNECT_NOTE } from '../../adapters/supabase/actions.js'
import { createSupabaseAdapter } from '../../adapters/supabase/status.js'
import { createDatabaseProbe } from '../../adapters/supabase/database.js'
import { TEST_DATABASE_URL, realDatabaseProblem, realOnly } from '../support/cleanup.js'

const CLOSED_PORT_URL = 'postgres://closeduser:closedpass@127.0.0.1:1/closeddb'
const TOKEN = 'sbp_actions_1'
const link = (databaseUrl?: string) => ({
  config: { projectRef: 'qzrefabc', ...(databaseUrl ? { databaseUrl: databaseUrl.replace(/:[^:@/]*@/, ':***@') } : {}) },
  credentials: { token: TOKEN, ...(databaseUrl ? { databaseUrl } : {}) }
})

async function setup (t: Test) {
  const h = await actionHarness(t, 'supabase')
  const probe = createDatabaseProbe({ connectionTimeoutMs: 1500 })
  t.teardown(() => probe.close())
  const executors = createSupabaseExecutors({ probe, samples: 3 })
  return { h, probe, executors, testConnection: executor(executors, 'test-connection') }
}

/** Every part of a database URL that must never reach a message. */
function assertNoLeaks (t: Test, message: string | undefined, url: string) {
  const parsed = new URL(url)
  for (const secret of [url, parsed.host, parsed.hostname, parsed.username, parsed.password, parsed.pathname.slice(1), 'postgres://']) {
    if (secret) t.notMatch(message ?? '', secret, `does not reveal ${secret}`)
  }
}

/**
 * Enough of the PostgreSQL wire protocol to ask for a password and refuse it, naming the user
 * and database in its message as a real server does; or (`silent`) to accept and never answer.
 */
async function fakePostgres (t: Test, mode: 'bad_password' | 'silent') {
  const sockets = new Set<Socket>()
  const field = (type: string, value: string) => Buffer.from(`${type}${value}\0`)
  const body = Buffer.concat([field('S', 'FATAL'), field('V', 'FATAL'), field('C', '28P01'),
    field('M', 'password authentication failed for user "leaky_user" on db.leakyhost.example'), Buffer.from([0])])
  const head = Buffer.alloc(5)
  head.write('E', 0)
  head.writeInt32BE(body.length + 4, 1)
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    if (mode === 'silent') return
    let startup = true
    socket.on('data', (chunk) => {
      if (startup) {
        startup = false
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])) // AuthenticationCleartextPassword
      } else if (chunk[0] === 0x70) {
        socket.end(Buffer.concat([head, body]))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return `postgres://leaky_user:hunter2secret@127.0.0.1:${(server.address() as AddressInfo).port}/leakydb`
}

/** Outside CI a missing local PostgreSQL skips the real-database tests rather than failing them. */
const DB_PROBLEM = await realDatabaseProblem(TEST_DATABASE_URL)
const SKIP_DB = realOnly(DB_PROBLEM)

t.test('one executor per catalog action', async (t) => {
  const adapter = createSupabaseAdapter({ apiUrl: 'http://127.0.0.1:9/supabase' })
  t.teardown(() => adapter.close())
  t.strictSame(adapter.executors?.map((e) => e.id), adapter.actions.map((a) => a.id))
  t.strictSame(adapter.executors?.map(({ id, mode, retryable, needsLink }) => ({ id, mode, retryable, needsLink })), [
    { id: 'test-connection', mode: 'inline', retryable: true, needsLink: true },
    { id: 'disconnect', mode: 'inline', retryable: true, needsLink: false }
  ])
  for (const e of adapter.executors!) {
    t.equal(e.check!({}, 'owner'), undefined)
    t.equal(e.check!({ databaseUrl: 'postgres://x' }, 'owner'), `${e.id} takes no parameters (got databaseUrl)`)
  }
})

t.test('test-connection against the real local PostgreSQL', { skip: SKIP_DB }, async (t) => {
  const { h, probe, testConnection } = await setup(t)

  const outcome = await h.run(testConnection, { link: link(TEST_DATABASE_URL) })
  const latencyMs = outcome.result?.latencyMs
  t.ok(Number.isInteger(latencyMs) && (latencyMs as number) >= 0, 'a whole number of milliseconds')
  t.strictSame(outcome.result, { latencyMs, samples: 3 })
  t.equal(probe.size, 1, 'the pool lives in the shared probe')

  const again = await h.run(testConnection, { link: link(TEST_DATABASE_URL) })
  t.ok(again.result, 'runs again')
  t.equal(probe.size, 1, 'the second run reuses the pool')
  t.equal(h.sim.callCount(), 0, 'the Management API is not involved')
})

/** Backends connected under this application_name (the connection string's wins over the pool's). */
async function backends (applicationName: string) {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    const { rows } = await client.query<{ n: string }>('select count(*) as n from pg_stat_activity where application_name = $1', [applicationName])
    return Number(rows[0]!.n)
  } finally {
    await client.end()
  }
}

t.test('the adapter\'s executor runs on the adapter\'s probe, and close() ends its pool', { skip: SKIP_DB }, async (t) => {
  const h = await actionHarness(t, 'supabase')
  const adapter = createSupabaseAdapter({ apiUrl: h.sim.baseUrls.supabase })
  t.teardown(() => adapter.close())
  const name = `sb-actions-${process.pid}-${Date.now()}`
  const url = new URL(TEST_DATABASE_URL)
  url.searchParams.set('application_name', name)

  const outcome = await h.run(executor(adapter.executors!, 'test-connection'), { link: link(url.href) })
  t.match(outcome.result, { latencyMs: Number, samples: 3 })
  t.equal(await backends(name), 1, 'the pool keeps its one connection for the next check or test')
  await adapter.close()
  let left = await backends(name)
  // The server drops the backend shortly after the client's Terminate; wait for it, boundedly.
  for (let i = 0; left > 0 && i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    left = await backends(name)
  }
  t.equal(left, 0, 'the adapter\'s close() ended the pool the action opened')
})

t.test('a database that does not exist', { skip: SKIP_DB }, async (t) => {
  const { h, testConnection } = await setup(t)
  const url = new URL(TEST_DATABASE_URL)
  url.pathname = '/no_such_db_xq81'
  const outcome = await h.run(testConnection, { link: link(url.href) })
  t.equal(outcome.failure?.code, 'database_not_found')
  t.equal(outcome.failure?.message, 'Database not found. Reconnect Supabase with a database URL that names an existing database')
  assertNoLeaks(t, outcome.failure?.message, url.href)
})

t.test('a closed port is unreachable', async (t) => {
  const { h, testConnection } = await setup(t)
  const outcome = await h.run(testConnection, { link: link(CLOSED_PORT_URL) })
  t.equal(outcome.failure?.code, 'database_unreachable')
  t.equal(outcome.failure?.message, 'Database unreachable. Check that the database URL points at a running project that accepts connections')
  assertNoLeaks(t, outcome.failure?.message, CLOSED_PORT_URL)
})

t.test('a refused password is a login failure, and the server\'s words stay out', async (t) => {
  const { h, testConnection } = await setup(t)
  const url = await fakePostgres(t, 'bad_password')
  const outcome = await h.run(testConnection, { link: link(url) })
  t.equal(outcome.failure?.code, 'database_login_failed')
  t.equal(outcome.failure?.message, 'Database login failed. Reconnect Supabase with a database URL whose user and password are current')
  assertNoLeaks(t, outcome.failure?.message, url)
  t.notMatch(outcome.failure?.message, 'leakyhost')
})

t.test('the action\'s own deadline is handed back, not reported as unreachable', async (t) => {
  const { h, testConnection } = await setup(t)
  const url = await fakePostgres(t, 'silent')
  await t.rejects(h.run(testConnection, { link: link(url), timeoutMs: 200 }), { name: 'TimeoutError' })
})

t.test('without a databaseUrl', async (t) => {
  const { h, testConnection } = await setup(t)
  const outcome = await h.run(testConnection, { link: link() })
  t.equal(outcome.failure?.code, 'no_database_url')
  t.equal(outcome.failure?.message, 'Link a databaseUrl to test the connection')
  t.equal((await h.run(testConnection, { link: null })).failure?.code, 'not_linked')
})

t.test('disconnect unlinks and says what stays valid', async (t) => {
  const { h, executors } = await setup(t)
  const outcome = await h.run(executor(executors, 'disconnect'), { link: link(CLOSED_PORT_URL) })
  t.strictSame(outcome.result, { unlinked: true, revokedAtProvider: false, note: SUPABASE_DISCONNECT_NOTE })
  t.equal(outcome.recorded.unlinks, 1)
  assertNoLeaks(t, SUPABASE_DISCONNECT_NOTE, CLOSED_PORT_URL)
  t.equal(h.sim.callCount(), 0)
})
