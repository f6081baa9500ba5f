import t from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../plugins/config.js'
import { DEPLOY, ENV_NAMES, ROOT, drainSeconds, readText, readYaml, withCommand } from '../support/deploy-files.js'

// deploy/compose.yaml, its proxy and Prometheus configuration, and the Dockerfile they build:
// parsed and checked against each other and against the service's config schema. (No Docker
// engine runs here: the image's commands were run outside it, see docs/operations.md "Deployment".)

const compose = readYaml('deploy/compose.yaml')
const services = compose.services as Record<string, any>
/** The services running the service's own image (built from the Dockerfile's runtime target). */
const appServices = Object.entries(services).filter(([, s]) => s.build?.target === 'runtime')
/** The long-running instances: the runtime image with its default command. */
const instances = appServices.filter(([, s]) => s.command === undefined)
const duration = (text: string) => {
  const match = /^(\d+)(ms|s|m)$/.exec(text)
  if (!match) throw new Error(`unreadable duration ${text}`)
  return Number(match[1]) * { ms: 0.001, s: 1, m: 60 }[match[2] as 'ms' | 's' | 'm']
}
/** The services that wait for `name`. */
const dependents = (name: string) => Object.entries(services).filter(([, s]) => s.depends_on?.[name])

t.test('every service has a healthcheck, except one-shots everybody waits for to exit 0', async (t) => {
  t.ok(Object.keys(services).length >= 7)
  for (const [name, service] of Object.entries(services)) {
    if (service.healthcheck) {
      t.ok(Array.isArray(service.healthcheck.test) && service.healthcheck.test[0] === 'CMD' && service.healthcheck.test.length > 1, `${name}: a healthcheck command`)
      t.notOk(service.healthcheck.disable, `${name}: not disabled`)
      continue
    }
    // A one-shot exits when done; its healthcheck is its exit code, which every dependent waits for.
    t.equal(service.restart, 'no', `${name} has no healthcheck, so it must be a one-shot`)
    const waiting = dependents(name)
    t.ok(waiting.length > 0, `${name}: something waits for it`)
    for (const [dependent, s] of waiting) t.equal(s.depends_on[name].condition, 'service_completed_successfully', `${dependent} waits for ${name} to exit 0`)
  }
  for (const [name, service] of Object.entries(services)) {
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {}) as Array<[string, { condition: string }]>) {
      t.ok(services[dependency], `${name} depends on an existing service ${dependency}`)
      t.ok(['service_healthy', 'service_completed_successfully'].includes(condition), `${name} waits for ${dependency} to be healthy or done`)
    }
  }
})

t.test('every environment name set for the service exists in its config schema', async (t) => {
  t.ok(appServices.length >= 3, 'two instances and the migrations')
  for (const [name, service] of appServices) {
    const environment = service.environment as Record<string, string>
    t.ok(environment && !Array.isArray(environment), `${name}: environment is a map`)
    for (const variable of Object.keys(environment)) t.ok(ENV_NAMES.has(variable), `${name}: ${variable} is read by the service (config or a provider's manifest)`)
    for (const required of ['NODE_ENV', 'DATABASE_URL', 'AUTH_JWT_SECRET', 'CREDENTIALS_KEY']) t.ok(environment[required], `${name} sets ${required}`)
    // Secrets come from .env (make-env.sh), never from this file.
    for (const secret of ['AUTH_JWT_SECRET', 'CREDENTIALS_KEY']) t.match(environment[secret], /^\$\{[A-Z_]+:\?/, `${name}: ${secret} is required from the environment`)
  }
})

t.test('two instances on PostgreSQL and Redis, migrated once, drained on stop', async (t) => {
  t.ok(instances.length >= 2, `${instances.length} instances`)
  const [first] = instances
  for (const [name, service] of instances) {
    const env = service.environment
    t.same(env, first![1].environment, `${name} is configured like the others`)
    t.match(env.DATABASE_URL, /@postgres:5432\//, `${name} on the compose PostgreSQL`)
    t.equal(env.REDIS_URL, 'redis://redis:6379', `${name} on the compose Redis (several instances need it)`)
    t.equal(env.HOST, '0.0.0.0')
    t.equal(env.MIGRATE_ON_BOOT, 'false', 'the migrate service does it')
    t.equal(env.METRICS_HOST, '0.0.0.0', 'reachable by Prometheus inside the network')
    t.equal(service.depends_on.migrate.condition, 'service_completed_successfully')
    t.equal(service.read_only, true, 'read-only root filesystem')
    t.notOk(service.ports, `${name} publishes no port: only the proxy does`)
    t.match(service.healthcheck.test.join(' '), /\/readyz/, 'healthy = ready')
    const graceSeconds = Number(env.SHUTDOWN_GRACE_MS) / 1000
    t.ok(graceSeconds > 0, 'SHUTDOWN_GRACE_MS is set')
    t.ok(duration(service.stop_grace_period) >= drainSeconds(env),
      `stop_grace_period ${service.stop_grace_period} covers the drain (${drainSeconds(env)} s: SHUTDOWN_GRACE_MS, SHUTDOWN_TIMEOUT_MS and the close margin)`)
  }
  const migrate = services.migrate
  t.same(migrate.command, ['node', 'dist/src/scripts/migrate.js'])
  t.ok(existsSync(join(ROOT, 'src/scripts/migrate.ts')), 'compiled from src/scripts/migrate.ts by npm run build')
  t.equal(migrate.environment.DATABASE_URL, first![1].environment.DATABASE_URL, 'migrates the database the instances use')
})

t.test('the proxy fronts every instance, streams unbuffered, never serves /metrics', async (t) => {
  const proxy = services.proxy
  t.ok(proxy, 'a proxy service')
  t.same(proxy.ports, ['8080:8080'])
  const caddyfile = readText('deploy/proxy/Caddyfile')
  const upstreams = /reverse_proxy\s+([^{]+)\{/.exec(caddyfile)![1]!.trim().split(/\s+/)
  t.same(upstreams.sort(), instances.map(([name, s]) => `${name}:${s.environment.PORT}`).sort(), 'every instance, on its PORT')
  t.match(caddyfile, /flush_interval -1/, 'SSE written through at once')
  t.match(caddyfile, /health_uri \/readyz/, 'a draining instance is taken out')
  t.match(caddyfile, /handle \/metrics \{\s*respond 404/, '/metrics is not proxied')
  t.match(proxy.healthcheck.test.join(' '), /proxy-health/)
  t.match(caddyfile, /handle \/proxy-health/)
  t.equal(proxy.volumes[0], './proxy/Caddyfile:/etc/caddy/Caddyfile:ro')
})

withCommand(t, 'caddy', 'caddy', 'the Caddyfile is valid for Caddy', async (t) => {
  const out = execFileSync('caddy', ['validate', '--adapter', 'caddyfile', '--config', join(DEPLOY, 'proxy/Caddyfile')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  t.match(out, /Valid configuration/)
})

t.test('Prometheus scrapes every instance on its private metrics port and loads the alerts', async (t) => {
  const prometheus = readYaml('deploy/prometheus/prometheus.yml')
  const job = prometheus.scrape_configs.find((c: any) => c.job_name === 'integration-status')
  t.ok(job)
  t.same(job.static_configs.flatMap((c: any) => c.targets).sort(), instances.map(([name, s]) => `${name}:${s.environment.METRICS_PORT}`).sort())
  t.same(prometheus.rule_files, ['alerts.yaml'])
  t.ok(existsSync(join(DEPLOY, 'prometheus/alerts.yaml')))
  t.ok(services.prometheus.volumes.includes('./prometheus:/etc/prometheus:ro'))
  t.ok(services.prometheus.ports.every((p: string) => p.startsWith('127.0.0.1:')), 'Prometheus is published on loopback only')
})

t.test('the simulator runs the compiled entry the Dockerfile builds, and the instances point at it', async (t) => {
  const simulator = services.simulator
  t.equal(simulator.build.target, 'simulator')
  const dockerfile = readText('Dockerfile')
  t.match(dockerfile, /FROM [^\n]+ AS simulator/)
  t.match(dockerfile, /CMD \["node", "dist-simulator\/src\/scripts\/simulator\.js"\]/)
  t.match(dockerfile, /SIMULATOR_PORT=4010/)
  for (const [name, service] of instances) {
    for (const variable of ['GITHUB_API_URL', 'VERCEL_API_URL', 'SANITY_MANAGEMENT_API_URL', 'SUPABASE_API_URL', 'NETLIFY_API_URL']) {
      t.match(service.environment[variable], /^http:\/\/simulator:4010\//, `${name}: ${variable}`)
    }
    t.equal(service.environment.SANITY_API_URL, 'http://simulator:4010/sanity/{projectId}')
  }
})

t.test('the Dockerfile runs what compose and Kubernetes expect', async (t) => {
  const dockerfile = readText('Dockerfile')
  const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'))
  t.match(runtime, /\nUSER node\n/, 'non-root')
  t.match(runtime, /HOST=0\.0\.0\.0/)
  t.match(runtime, /PORT=3000/)
  t.match(runtime, /EXPOSE 3000 9464/, 'the API and metrics ports compose and the manifests use')
  t.match(runtime, /CMD \["node", "dist\/src\/server\.js"\]/)
  t.equal(instances[0]![1].environment.PORT, '3000')
  t.equal(instances[0]![1].environment.METRICS_PORT, '9464')
  // Every path the image copies exists (a renamed folder would break the build).
  for (const match of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const source of match[1]!.split(/\s+/)) t.ok(existsSync(join(ROOT, source)), `COPY ${source} exists`)
  }
  const dockerignore = readText('.dockerignore').split('\n')
  t.ok(dockerignore.includes('!test/simulator'), 'the simulator sources reach the build')
  t.ok(dockerignore.includes('deploy'), 'deploy/.env (the compose secrets) never reaches the build context')
})

t.test('make-env.sh prints fresh secrets the service accepts in production', async (t) => {
  const run = () => Object.fromEntries(execFileSync(join(DEPLOY, 'make-env.sh'), { encoding: 'utf8' }).trim().split('\n').map((line) => {
    const at = line.indexOf('=')
    return [line.slice(0, at), line.slice(at + 1)]
  }))
  const env = run()
  t.same(Object.keys(env).sort(), ['AUTH_JWT_SECRET', 'CREDENTIALS_KEY', 'POSTGRES_PASSWORD'])
  const config = loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: env.AUTH_JWT_SECRET, CREDENTIALS_KEY: env.CREDENTIALS_KEY })
  t.equal(config.production, true, 'boot accepts them')
  t.match(env.POSTGRES_PASSWORD, /^[0-9a-f]{48}$/, 'safe inside the DATABASE_URL without escaping')
  t.not(run().AUTH_JWT_SECRET, env.AUTH_JWT_SECRET, 'fresh every time')
})
