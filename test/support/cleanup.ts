import pg from 'pg'
import { Redis } from 'ioredis'

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/**
 * The skip option of a test that needs real PostgreSQL/Redis: skipped loudly outside CI when they
 * are unreachable; with CI=true never skipped, so CI cannot pass by testing less.
 */
export const realOnly = (problem: string | null) => (problem !== null && process.env.CI !== 'true' ? problem : false)

/** null when PostgreSQL at the URL answers, else why not (tests that need only PostgreSQL skip on it). */
export async function realDatabaseProblem (databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return null
  } catch (error) {
    return `PostgreSQL at ${databaseUrl} unreachable: ${(error as Error).message}`
  } finally {
    await client.end().catch(() => {})
  }
}

// What tests and the benchmark provision on the shared PostgreSQL and Redis, and remove after.

/** Drops a test schema with everything in it; `public` is never dropped. */
export async function dropSchema (databaseUrl: string, schema: string) {
  if (schema === 'public') return
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query(`drop schema if exists "${schema}" cascade`)
  } finally {
    await client.end()
  }
}

/** Deletes every key under a prefix (SCAN, not KEYS, so Redis is never blocked). */
export async function deleteKeys (redisUrl: string, prefix: string) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}
