import t from 'tap'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { connectDatabase } from '../../src/db/connect.js'
import { migrate } from '../../src/db/migrator.js'
import { REAL_BACKENDS_PROBLEM, TEST_DATABASE_URL, eachBackend, freshPglite, realOnly } from '../helper.js'

async function open (t: Parameters<Parameters<typeof eachBackend>[2]>[0], backend: 'embedded' | 'real', schema: string) {
  const handle = await connectDatabase({
    databaseUrl: backend === 'real' ? TEST_DATABASE_URL : undefined,
    schema,
    poolSize: 4,
    dataDir: 'memory://',
    ...(backend === 'embedded' ? { pglite: await freshPglite() } : {})
  })
  t.teardown(async () => {
    if (backend === 'real') await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db)
    await handle.close()
  })
  return handle.db
}

const schemaName = () => `t_mig_${randomUUID().replaceAll('-', '').slice(0, 10)}`

eachBackend(t, 'migrations apply once and are idempotent', async (t, backend) => {
  const schema = schemaName()
  const db = await open(t, backend, schema)
  const first = await migrate(db, { schema })
  t.ok(first.applied.includes('001_initial.sql'), 'the first run applies')
  const second = await migrate(db, { schema })
  t.same(second.applied, [], 'the second run applies nothing')
  t.ok(second.skipped.includes('001_initial.sql'))
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${schema} order by 1`.execute(db)
  t.same(tables.rows.map((r) => r.table_name), [
    'action_idempotency_keys', 'integration_action_transitions', 'integration_actions', 'integration_events',
    'oauth_states', 'project_integrations', 'projects', 'providers', 'rollout_overrides', 'schema_migrations', 'webhook_deliveries'
  ])
})

eachBackend(t, 'a migration edited after it was applied stops the run', async (t, backend) => {
  const schema = schemaName()
  const db = await open(t, backend, schema)
  const dir = await mkdtemp(join(tmpdir(), 'is-mig-'))
  await writeFile(join(dir, '001_one.sql'), 'create table one (id int);')
  await migrate(db, { schema, dir })
  await writeFile(join(dir, '001_one.sql'), 'create table one (id bigint);')
  await t.rejects(migrate(db, { schema, dir }), /001_one.sql changed after it was applied/)
})

eachBackend(t, 'a failing migration rolls back and is not recorded', async (t, backend) => {
  const schema = schemaName()
  const db = await open(t, backend, schema)
  const dir = await mkdtemp(join(tmpdir(), 'is-mig-'))
  await writeFile(join(dir, '001_ok.sql'), 'create table ok (id int);')
  await writeFile(join(dir, '002_bad.sql'), 'create table half (id int); select * from no_such_table;')
  await t.rejects(migrate(db, { schema, dir }), /002_bad.sql failed/)
  const recorded = await sql<{ name: string }>`select name from ${sql.id(schema, 'schema_migrations')}`.execute(db)
  t.same(recorded.rows.map((r) => r.name), ['001_ok.sql'])
  const half = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = ${schema} and table_name = 'half'`.execute(db)
  t.equal(half.rows[0]!.n, 0, 'the half-applied table was rolled back')
})

t.test('two migrators started together on real PostgreSQL both succeed, each migration applied once', { skip: realOnly(REAL_BACKENDS_PROBLEM) }, async (t) => {
  const schema = schemaName()
  // Two pools: two sessions racing for the advisory lock, as two instances starting at once would.
  const a = await open(t, 'real', schema)
  const b = await open(t, 'real', schema)
  // The initial migration's CREATE TABLEs have no IF NOT EXISTS: applied twice, one run would fail.
  const [left, right] = await Promise.all([migrate(a, { schema }), migrate(b, { schema })])
  const all = (await readdir(new URL('../../sql/', import.meta.url))).filter((f) => f.endsWith('.sql')).sort()
  t.same([...left.applied, ...right.applied].sort(), all, 'each applied by exactly one of them')
  const rows = await sql<{ name: string }>`select name from ${sql.id(schema, 'schema_migrations')} order by name`.execute(a)
  t.same(rows.rows.map((r) => r.name), all, 'each recorded once')
})

eachBackend(t, 'a link can only name a provider in the providers table', async (t, backend) => {
  const schema = schemaName()
  const db = await open(t, backend, schema)
  await migrate(db, { schema })
  const keys = await sql<{ key: string }>`select key from ${sql.id(schema, 'providers')} order by key`.execute(db)
  t.same(keys.rows.map((r) => r.key), ['github', 'netlify', 'sanity', 'supabase', 'vercel'], 'one row per provider (sql/007, sql/008)')
  await sql`insert into ${sql.id(schema, 'projects')} (id) values ('p1')`.execute(db)
  await t.rejects(sql`insert into ${sql.id(schema, 'project_integrations')} (project_id, provider) values ('p1', 'gitlab')`.execute(db),
    /foreign key/, 'an unknown provider is refused by the database')
  await sql`insert into ${sql.id(schema, 'providers')} (key) values ('gitlab')`.execute(db)
  await sql`insert into ${sql.id(schema, 'project_integrations')} (project_id, provider) values ('p1', 'gitlab')`.execute(db)
  t.pass('one providers row is all a new provider needs in the database')
})
