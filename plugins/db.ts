import fp from 'fastify-plugin'
import type { Kysely } from 'kysely'
import type { PGlite } from '@electric-sql/pglite'
import { connectDatabase } from '../src/db/connect.js'
import { migrate } from '../src/db/migrator.js'
import type { Database } from '../src/db/database.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>
    dbKind: 'postgres' | 'pglite'
  }
}

export interface DbPluginOptions {
  pglite?: PGlite
}

export default fp<DbPluginOptions>(async function dbPlugin (fastify, { pglite }) {
  const { config } = fastify
  const handle = await connectDatabase({
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    poolSize: config.databasePoolSize,
    dataDir: config.dataDir,
    ...(pglite ? { pglite } : {})
  })
  fastify.decorate('db', handle.db)
  fastify.decorate('dbKind', handle.kind)
  fastify.addHook('onClose', () => handle.close())
  if (config.migrateOnBoot) {
    try {
      const result = await migrate(handle.db, { schema: config.databaseSchema })
      fastify.log.info({ applied: result.applied, database: handle.kind }, 'migrations checked')
    } catch (error) {
      // Boot is failing: onClose hooks may never run, so the pool is released here.
      await handle.close()
      throw error
    }
  }
}, { name: 'db', dependencies: ['config'], fastify: '5.x' })
