import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Env } from './env-schema.js'
import { ConfigError } from './config-error.js'

const DEV_SECRETS_FILE = 'dev-secrets.json'

/**
 * The JWT secret and the credentials key. Production must provide both; elsewhere missing ones
 * are generated once and kept under DATA_DIR, so tokens and stored credentials survive restarts.
 */
export function resolveSecrets (env: Env, production: boolean) {
  const warnings: string[] = []
  if (production) {
    if (!env.AUTH_JWT_SECRET) throw new ConfigError('AUTH_JWT_SECRET: required when NODE_ENV=production')
    if (!env.CREDENTIALS_KEY) throw new ConfigError('CREDENTIALS_KEY: required when NODE_ENV=production')
  }
  let dev: DevSecrets | undefined
  if (!env.AUTH_JWT_SECRET || !env.CREDENTIALS_KEY) {
    dev = loadDevSecrets(env.DATA_DIR)
    warnings.push(`AUTH_JWT_SECRET or CREDENTIALS_KEY unset: using development secrets ${dev.where}; never do this in production`)
  }
  const jwtSecret = env.AUTH_JWT_SECRET ?? dev!.jwtSecret
  const credentialsKey = parseKey(env.CREDENTIALS_KEY ?? dev!.credentialsKey)
  return { jwtSecret, credentialsKey, warnings }
}

function parseKey (text: string) {
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64')
  if (key.length !== 32) throw new ConfigError('CREDENTIALS_KEY: must be 32 bytes, as base64 or 64 hex digits')
  return key
}

interface DevSecrets { jwtSecret: string, credentialsKey: string, where: string }

function loadDevSecrets (dataDir: string): DevSecrets {
  const fresh = { jwtSecret: randomBytes(32).toString('base64url'), credentialsKey: randomBytes(32).toString('base64') }
  if (dataDir.startsWith('memory://')) return { ...fresh, where: 'generated for this process only' }
  const file = join(dataDir, DEV_SECRETS_FILE)
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8'))
    if (typeof stored.jwtSecret === 'string' && typeof stored.credentialsKey === 'string') return { ...stored, where: `from ${file}` }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`DATA_DIR: cannot read ${file}: ${(error as Error).message}`)
  }
  try {
    mkdirSync(dataDir, { recursive: true })
    // 'wx' fails if another instance wrote the file first; then that one's secrets win.
    writeFileSync(file, JSON.stringify(fresh), { mode: 0o600, flag: 'wx' })
    return { ...fresh, where: `generated into ${file}` }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadDevSecrets(dataDir)
    throw new ConfigError(`DATA_DIR: cannot write ${file}: ${(error as Error).message}`)
  }
}
