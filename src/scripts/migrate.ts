import { loadConfig } from '../../plugins/config.js'
import { connectDatabase } from '../db/connect.js'
import { migrate } from '../db/migrator.js'

// npm run migrate: applies sql/ to DATABASE_URL (or the embedded database under DATA_DIR).
// Safe to run from several places at once: the migrator takes an advisory lock.
const config = loadConfig(process.env)
const handle = await connectDatabase({
  databaseUrl: config.databaseUrl,
  schema: config.databaseSchema,
  poolSize: 1,
  dataDir: config.dataDir
})
try {
  const result = await migrate(handle.db, { schema: config.databaseSchema })
  process.stdout.write(`migrations: applied ${result.applied.length} (${result.applied.join(', ') || 'none'}), already applied ${result.skipped.length}\n`)
} finally {
  await handle.close()
}
