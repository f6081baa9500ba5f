import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import pg from 'pg'
import { Kysely, PostgresDialect } from 'kysely'
import type { PGlite } from '@electric-sql/pglite'
import type { Database } from './database.js'

export interface DatabaseHandle {
  db: Kysely<Database>
  kind: 'postgres' | 'pglite'
  close(): Promise<void>
}

export interface ConnectOptions {
  databaseUrl: string | undefined
  schema: string
  poolSize: number
  dataDir: string
  /** An embedded database made by the caller (tests clone a migrated template); closed with the handle. */
  pglite?: PGlite
}

/**
 * One Kysely over node-postgres for both backends: real PostgreSQL through a pg.Pool, or PGlite
 * through its node-postgres adapter with a pool of one (PGlite is a single session). The same
 * driver means the same type parsing (int8 as string, timestamptz as Date) on both.
 */
export async function connectDatabase (options: ConnectOptions): Promise<DatabaseHandle> {
  let pool: pg.Pool
  let lite: PGlite | undefined
  if (options.databaseUrl) {
    pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize,
      connectionTimeoutMillis: 5_000,
      options: `-c search_path=${options.schema}`
    })
  } else {
    lite = options.pglite ?? await openEmbedded(options.dataDir)
    const { createPgConfig } = await import('@electric-sql/pglite/node-postgres')
    pool = new pg.Pool({ ...createPgConfig(lite), max: 1 })
    if (options.schema !== 'public') {
      pool.on('connect', (client) => { client.query(`set search_path to "${options.schema}"`).catch(() => {}) })
    }
  }
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {})
  // Nor may a checked-out one: the pool listens only to idle clients, and a client whose server
  // goes away mid-query (a PostgreSQL restart) emits 'error' besides failing the query. Without a
  // listener that is an uncaught exception that kills the process; the query's rejection is enough.
  pool.on('connect', (client) => { client.on('error', () => {}) })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    kind: lite ? 'pglite' : 'postgres',
    async close () {
      await db.destroy()
      await lite?.close()
    }
  }
}

async function openEmbedded (dataDir: string) {
  const { PGlite } = await import('@electric-sql/pglite')
  if (dataDir.startsWith('memory://')) return PGlite.create('memory://')
  const dir = join(dataDir, 'pglite')
  mkdirSync(dir, { recursive: true })
  return PGlite.create(dir)
}
