import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { sql, type Kysely } from 'kysely'

/** sql/ at the package root, from src/db (ts) and from dist/src/db (compiled) alike. */
export async function defaultMigrationsDir () {
  for (const up of ['../../sql', '../../../sql']) {
    const dir = fileURLToPath(new URL(up, import.meta.url))
    try {
      await readdir(dir)
      return dir
    } catch {}
  }
  throw new Error('migrations folder sql/ not found')
}

export interface MigrationResult {
  applied: string[]
  skipped: string[]
}

/**
 * Applies the ordered plain-SQL files of `dir` that the schema has not seen, each in its own
 * transaction and recorded in schema_migrations with a checksum. A session-level advisory lock,
 * keyed by schema, makes instances that start together take turns: the second one finds
 * everything applied. A file changed after it was applied stops the migration loudly.
 */
export async function migrate (db: Kysely<any>, { schema, dir }: { schema: string, dir?: string }): Promise<MigrationResult> {
  const folder = dir ?? await defaultMigrationsDir()
  const files = (await readdir(folder)).filter((f) => /^\d+_[\w-]+\.sql$/.test(f)).sort()
  const lockKey = `integration-status:migrations:${schema}`
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(hashtext(${lockKey}))`.execute(conn)
    try {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(conn)
      await sql`create table if not exists ${sql.id(schema, 'schema_migrations')} (
        name text primary key, checksum text not null, applied_at timestamptz not null default now())`.execute(conn)
      const done = await sql<{ name: string, checksum: string }>`select name, checksum from ${sql.id(schema, 'schema_migrations')}`.execute(conn)
      const known = new Map(done.rows.map((r) => [r.name, r.checksum]))
      const result: MigrationResult = { applied: [], skipped: [] }
      for (const file of files) {
        const text = await readFile(`${folder}/${file}`, 'utf8')
        const checksum = createHash('sha256').update(text).digest('hex')
        const seen = known.get(file)
        if (seen !== undefined) {
          if (seen !== checksum) throw new Error(`migration ${file} changed after it was applied; add a new migration instead`)
          result.skipped.push(file)
          continue
        }
        await sql`begin`.execute(conn)
        try {
          await sql`set local search_path to ${sql.id(schema)}`.execute(conn)
          // No parameters: pg sends it as a simple query, so a file may hold many statements.
          await sql.raw(text).execute(conn)
          await sql`insert into ${sql.id(schema, 'schema_migrations')} (name, checksum) values (${file}, ${checksum})`.execute(conn)
          await sql`commit`.execute(conn)
        } catch (error) {
          await sql`rollback`.execute(conn)
          throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error })
        }
        result.applied.push(file)
      }
      return result
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${lockKey}))`.execute(conn)
    }
  })
}
