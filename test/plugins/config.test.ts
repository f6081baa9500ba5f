import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig, ConfigError } from '../../plugins/config.js'
import { resolveProviderEnv } from '../../src/aggregator/providers.js'
import { PROVIDER_PLUGINS } from '../../adapters/index.js'

const base = { DATA_DIR: 'memory://' }
const bad = (env: Record<string, string>, pattern: RegExp, label: string) =>
  t.throws(() => loadConfig({ ...base, ...env }), { name: 'ConfigError', message: pattern }, label)

t.test('defaults boot an embedded, single-instance service', async (t) => {
  const config = loadConfig(base)
  t.equal(config.port, 3000)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.databaseUrl, undefined, 'no DATABASE_URL: embedded PGlite')
  t.equal(config.redisUrl, undefined, 'no REDIS_URL: memory backends')
  const env = (key: string) => resolveProviderEnv(PROVIDER_PLUGINS.find((p) => p.manifest.key === key)!.manifest, config.environment)
  t.equal(env('github').GITHUB_API_URL, 'https://api.github.com', 'provider variables default through their manifest\'s env schema')
  t.equal(env('sanity').SANITY_API_URL, 'https://{projectId}.api.sanity.io')
  t.equal(resolveProviderEnv(PROVIDER_PLUGINS[0]!.manifest, { GITHUB_API_URL: 'http://127.0.0.1:9/gh///' }).GITHUB_API_URL, 'http://127.0.0.1:9/gh', 'trailing slashes trimmed')
  t.equal(config.credentialsKey.length, 32)
  t.match(config.warnings[0], /development secrets/)
})

t.test('a bad value stops boot with a message naming the variable', async () => {
  bad({ PORT: 'eighty' }, /^PORT: /, 'non-numeric PORT')
  bad({ PORT: '70000' }, /^PORT: /, 'PORT out of range')
  bad({ DATABASE_URL: 'mysql://localhost/db' }, /^DATABASE_URL: /, 'not a postgres URL')
  bad({ DATABASE_URL: 'postgres://user:pw@[bad' }, /^DATABASE_URL: not a valid URL$/, 'malformed postgres URL, password not echoed')
  bad({ REDIS_URL: 'http://localhost' }, /^REDIS_URL: /, 'not a redis URL')
  bad({ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /, 'unknown log level')
  bad({ ALLOWED_ORIGINS: 'https://ok.example, not a url' }, /^ALLOWED_ORIGINS: /, 'bad origin')
  bad({ CREDENTIALS_KEY: 'c2hvcnQ=', AUTH_JWT_SECRET: 'x'.repeat(32) }, /^CREDENTIALS_KEY: must be 32 bytes/, 'short key')
  bad({ AUTH_JWT_SECRET: 'short' }, /^AUTH_JWT_SECRET: /, 'short JWT secret')
})

t.test('a bad provider variable stops boot with a message naming it', async (t) => {
  const manifest = (key: string) => PROVIDER_PLUGINS.find((p) => p.manifest.key === key)!.manifest
  const badProvider = (key: string, env: Record<string, string>, pattern: RegExp, label: string) =>
    t.throws(() => resolveProviderEnv(manifest(key), env), { name: 'ConfigError', message: pattern }, label)
  badProvider('sanity', { SANITY_API_URL: 'https://api.sanity.io' }, /^SANITY_API_URL: /, 'template without {projectId}')
  badProvider('github', { GITHUB_API_URL: 'ftp://x' }, /^GITHUB_API_URL: /, 'not http(s)')
  badProvider('github', { GITHUB_WEBHOOK_SECRET: 'short' }, /^GITHUB_WEBHOOK_SECRET: /, 'short webhook secret')
  t.equal(resolveProviderEnv(manifest('github'), { GITHUB_API_URL: '' }).GITHUB_API_URL, 'https://api.github.com', 'empty counts as unset')
})

t.test('production refuses to boot without its secrets', async () => {
  bad({ NODE_ENV: 'production' }, /^AUTH_JWT_SECRET: required when NODE_ENV=production/, 'no JWT secret')
  bad({ NODE_ENV: 'production', AUTH_JWT_SECRET: 's'.repeat(40) }, /^CREDENTIALS_KEY: required/, 'no credentials key')
  const config = loadConfig({ ...base, NODE_ENV: 'production', AUTH_JWT_SECRET: 's'.repeat(40), CREDENTIALS_KEY: 'ab'.repeat(32) })
  t.same(config.warnings, [], 'no development-secret warning in production')
  t.equal(config.credentialsKey.toString('hex'), 'ab'.repeat(32), 'hex keys are accepted')
})

t.test('development secrets are generated once and kept under DATA_DIR', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'is-config-'))
  const first = loadConfig({ DATA_DIR: dir })
  const second = loadConfig({ DATA_DIR: dir })
  t.equal(second.jwtSecret, first.jwtSecret, 'same JWT secret after a restart')
  t.same(second.credentialsKey, first.credentialsKey, 'same credentials key after a restart')
  const file = join(dir, 'dev-secrets.json')
  t.equal((await stat(file)).mode & 0o777, 0o600, 'readable by the owner only')
  t.ok(JSON.parse(await readFile(file, 'utf8')).jwtSecret)
})

async function startServer (env: Record<string, string>) {
  const server = fileURLToPath(new URL('../../src/server.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', server], {
    env: { ...process.env, DATA_DIR: 'memory://', PORT: '0', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const code = await new Promise((resolve) => child.on('exit', resolve))
  return { code, stderr }
}

t.test('the server process exits with a clear message on bad configuration', async (t) => {
  const { code, stderr } = await startServer({ PORT: 'not-a-port' })
  t.equal(code, 78, 'exit code EX_CONFIG')
  t.match(stderr, /configuration error: PORT: /)
})

t.test('a bad provider variable stops the server the same way', async (t) => {
  const { code, stderr } = await startServer({ VERCEL_API_URL: 'not a url' })
  t.equal(code, 78, 'exit code EX_CONFIG')
  t.match(stderr, /configuration error: VERCEL_API_URL: /)
})

t.test('ConfigError is what loadConfig throws', async (t) => {
  t.throws(() => loadConfig({ PORT: '-1' }), ConfigError)
})

t.test('identity provider, metrics and shutdown settings', async (t) => {
  const idp = { AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json', AUTH_ISSUER: 'https://idp.example/', AUTH_AUDIENCE: 'status, status-staging' }
  bad({ AUTH_JWKS_URL: idp.AUTH_JWKS_URL }, /^AUTH_ISSUER: required with AUTH_JWKS_URL/, 'JWKS without an issuer')
  bad({ AUTH_JWKS_URL: idp.AUTH_JWKS_URL, AUTH_ISSUER: idp.AUTH_ISSUER }, /^AUTH_AUDIENCE: required with AUTH_JWKS_URL/, 'JWKS without an audience')
  bad({ ...idp, AUTH_ALGORITHMS: 'RS256,HS256' }, /^AUTH_ALGORITHMS: "HS256" is not one of RS256, ES256, EdDSA/, 'a symmetric algorithm from a key set')
  bad({ ...idp, AUTH_ALGORITHMS: 'none' }, /^AUTH_ALGORITHMS: "none"/, 'alg none')
  bad({ ...idp, AUTH_ALGORITHMS: ' , ' }, /^AUTH_ALGORITHMS: name at least one/, 'an empty list')
  bad({ ...idp, AUTH_JWKS_MIN_TTL_MS: '5000', AUTH_JWKS_MAX_TTL_MS: '1000' }, /^AUTH_JWKS_MIN_TTL_MS: greater than AUTH_JWKS_MAX_TTL_MS/, 'floor above ceiling')
  bad({ AUTH_JWKS_URL: 'ftp://idp.example/jwks' }, /^AUTH_JWKS_URL: /, 'not http(s)')
  bad({ AUTH_HS256: 'false' }, /^AUTH_HS256: false needs AUTH_JWKS_URL/, 'no token kind left')
  bad({ METRICS_TOKEN: 'short' }, /^METRICS_TOKEN: /, 'a short metrics token')
  bad({ METRICS_PORT: '70000' }, /^METRICS_PORT: /, 'METRICS_PORT out of range')
  const config = loadConfig({ ...base, ...idp, AUTH_HS256: 'false', METRICS_PORT: '9464' })
  t.match(config.auth, { hs256: false, clockToleranceSeconds: 30, idp: { algorithms: ['RS256', 'ES256', 'EdDSA'], audience: ['status', 'status-staging'], rolesClaim: 'roles', teamClaim: 'team', minTtlMs: 60_000, maxTtlMs: 3_600_000, refetchMs: 30_000 } })
  t.same(config.metrics, { port: 9464, host: '127.0.0.1', token: undefined })
  t.same(config.shutdown, { graceMs: 0, timeoutMs: 25_000 }, 'no grace outside production')
  t.equal(loadConfig({ ...base, NODE_ENV: 'production', AUTH_JWT_SECRET: 's'.repeat(40), CREDENTIALS_KEY: 'ab'.repeat(32) }).shutdown.graceMs, 5_000, '5 s grace in production')
  t.equal(loadConfig({ ...base, SHUTDOWN_GRACE_MS: '0', NODE_ENV: 'production', AUTH_JWT_SECRET: 's'.repeat(40), CREDENTIALS_KEY: 'ab'.repeat(32) }).shutdown.graceMs, 0, 'SHUTDOWN_GRACE_MS=0 honoured in production')
  t.equal(loadConfig(base).auth.idp, undefined, 'no JWKS by default')
})
