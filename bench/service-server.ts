import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createServer as createTcpServer, connect, type AddressInfo, type Server, type Socket } from 'node:net'
import { deleteKeys, dropSchema } from '../test/support/cleanup.js'
import { providerEnv, startSimulator, fingerprint, type Provider, type SimulatorCall } from '../test/simulator/simulator.js'
import { signToken } from '../src/lib/tokens.js'
import { generateSigningKey, startJwksServer } from '../test/support/jwks-server.js'
import { announce, onShutdown } from './lib/child.js'
import { launch, OUT_DIR, type Launched } from './lib/proc.js'
import { PROVIDERS, type CallTuple, type StackReady, type StackSpec, type TokensFile } from './lib/protocol.js'

/**
 * The service under test: the provider simulator, N service instances (child processes, pinned
 * to `instanceCpu`), seeded projects, and a small control API for the orchestrator
 * (simulator delay, the provider call log). Prints `READY <StackReady>`; stops everything and
 * drops its schema and Redis keys on SIGTERM, SIGINT or when its parent goes away.
 *
 * Usage: service-server.ts '<StackSpec as JSON>'
 */

const spec = JSON.parse(process.argv[2] ?? '') as StackSpec
const children: Launched[] = []
const pids: number[] = []
const simulator = await startSimulator()
// One loopback port per provider API (a TCP relay to the simulator): the service keeps a
// connection pool per origin, so one shared origin would squeeze all providers into one pool.
const relays: Server[] = []
const relaySockets = new Set<Socket>()
const providerUrls = Object.fromEntries(await Promise.all(Object.entries(simulator.baseUrls).map(async ([name, url]) => {
  const own = new URL(url.replace('{projectId}', 'PROJECT'))
  own.port = String(await relay(Number(own.port)))
  return [name, own.toString().replace('PROJECT', '{projectId}').replace(/\/$/, '')]
}))) as typeof simulator.baseUrls
let control: ReturnType<typeof createServer> | undefined
const schema = `bench_${spec.runId}`
const redisPrefix = `bench:${spec.runId}:`
const tokensFile = join(OUT_DIR, `tokens-${spec.runId}.json`)

const closers: Array<() => unknown> = []
// Identity-provider tokens (ES256, verified against a JWKS served on loopback), unless asked for HS256.
const idp = spec.tokenKind === 'hs256' ? undefined : await startJwksServer({ teardown: (fn) => closers.push(fn) }, [generateSigningKey('ES256')])

const shutdown = onShutdown(async () => {
  for (const close of closers) await close()
  await Promise.allSettled(children.map((c) => c.stop()))
  control?.closeAllConnections()
  control?.close()
  for (const socket of relaySockets) socket.destroy()
  for (const server of relays) server.close()
  await simulator.close()
  rmSync(tokensFile, { force: true })
  if (spec.databaseUrl) await dropSchema(spec.databaseUrl, schema).catch((e) => process.stderr.write(`drop schema: ${e}\n`))
  if (spec.redisUrl) await deleteKeys(spec.redisUrl, redisPrefix).catch((e) => process.stderr.write(`delete keys: ${e}\n`))
})

// Who a provider call was for: each (project, provider) has its own token.
const owners = new Map<string, { projectId: string, provider: Provider }>()
const jwtSecret = randomBytes(32).toString('hex')
const file: TokensFile = { groups: {} }
const links: Array<{ projectId: string, provider: Provider, token: string, jwt: string }> = []
for (const group of spec.groups) {
  const list = file.groups[group.name] = [] as TokensFile['groups'][string]
  for (let i = 0; i < group.count; i++) {
    const projectId = `b-${group.name}-${i}`
    const claims = { sub: 'u_bench', roles: { [projectId]: 'owner' as const } }
    const jwt = idp ? await idp.sign(claims, { expiresInSeconds: 12 * 3600 }) : signToken(jwtSecret, claims, { expiresInSeconds: 12 * 3600 })
    list.push({ projectId, jwt })
    for (const provider of group.providers ?? PROVIDERS) {
      const token = `${provider}_${group.name}_${i}_${spec.runId}`
      simulator.setScenario(provider, token, group.scenarios?.[provider] ?? 'healthy')
      owners.set(fingerprint(token), { projectId, provider })
      links.push({ projectId, provider, token, jwt })
    }
  }
}
mkdirSync(OUT_DIR, { recursive: true })
writeFileSync(tokensFile, JSON.stringify(file))

// The simulator keeps every call with its headers; keep only what the bench needs.
const calls: CallTuple[] = []
let unmapped = 0
function drainCalls () {
  const raw = simulator.calls as SimulatorCall[]
  for (const call of raw) {
    const owner = call.tokenFingerprint ? owners.get(call.tokenFingerprint) : undefined
    if (owner) calls.push([owner.projectId, owner.provider, call.method, endpoint(call), call.at])
    else unmapped++
  }
  raw.length = 0
}
setInterval(drainCalls, 500).unref()

/**
 * Which endpoint a call hit: the path and the query, with instants (epoch ms, ISO dates) blanked,
 * so one check's calls to one path with different queries stay apart and the same call made by
 * another check (a day or a week later in its `since`) still counts as the same endpoint.
 */
function endpoint (call: SimulatorCall) {
  const query = call.url.includes('?') ? call.url.slice(call.url.indexOf('?')) : ''
  return call.path + query.replace(/\d{4}-\d\d-\d\dT[\d:.%A-F]+Z?/gi, '#').replace(/\d{9,}/g, '#')
}

const env: Record<string, string> = {
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  PORT: '0',
  AUTH_JWT_SECRET: jwtSecret,
  CREDENTIALS_KEY: randomBytes(32).toString('base64'),
  ...providerEnv(providerUrls),
  ...(spec.databaseUrl
    ? { DATABASE_URL: spec.databaseUrl, DATABASE_SCHEMA: schema }
    : { DATABASE_URL: '', DATA_DIR: 'memory://' }),
  ...(spec.redisUrl ? { REDIS_URL: spec.redisUrl, REDIS_PREFIX: redisPrefix } : { REDIS_URL: '' }),
  ...(idp ? idp.env() : {}),
  ...spec.env
}
try {
  for (let i = 0; i < spec.instances; i++) {
    children.push(launch(`instance-${spec.runId}-${i}`, 'instance.ts', { env, cpu: spec.instanceCpu }))
  }
  const started = await Promise.all(children.map((c) => c.ready)) as Array<{ url: string, pid: number }>
  const urls = started.map((r) => r.url)
  pids.push(...started.map((r) => r.pid))

  const seedStart = Date.now()
  await seed(urls[0]!)
  const seedSeconds = (Date.now() - seedStart) / 1000

  const first = links[0] ?? Object.values(file.groups).flat()[0]!
  const probe = await fetch(`${urls[0]}/api/integrations/status?projectId=${encodeURIComponent(first.projectId)}`, {
    headers: { authorization: `Bearer ${first.jwt}` }
  })
  const probeBody = await probe.text()
  const routeMissing = probe.status === 404 && probeBody.includes('ROUTE_NOT_FOUND')
  if (!routeMissing && probe.status !== 200) process.stderr.write(`status probe answered ${probe.status}: ${probeBody.slice(0, 500)}\n`)
  drainCalls()
  calls.length = 0

  control = createServer((req, res) => {
    handleControl(req, res).catch((error) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error))
    })
  })
  await new Promise<void>((resolve) => control!.listen(0, '127.0.0.1', resolve))
  const ready: StackReady = {
    urls,
    control: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
    tokensFile,
    pids,
    routeMissing,
    seedSeconds
  }
  await announce('READY', ready)
} catch (error) {
  process.stderr.write(`stack failed to start: ${(error as Error).stack}\n`)
  shutdown('startup failed', 1)
}

async function handleControl (req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://control')
  const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  if (req.method === 'POST' && url.pathname === '/delay') {
    simulator.setDelay(Number(url.searchParams.get('ms') ?? 0))
    return json({ ok: true })
  }
  if (req.method === 'GET' && url.pathname === '/calls') {
    drainCalls()
    const since = Number(url.searchParams.get('since') ?? 0)
    const until = Number(url.searchParams.get('until') ?? Infinity)
    return json({ calls: calls.filter((c) => c[4] >= since && c[4] < until), unmapped })
  }
  if (req.method === 'GET' && url.pathname === '/rss') {
    return json({ rssBytes: pids.map(residentBytes) })
  }
  res.writeHead(404).end()
}

/** A process's resident set size, from /proc (Linux): the instances are other processes. */
function residentBytes (pid: number) {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) * 1024 : NaN
}

/** PUT every link through the public API, a few at a time. */
async function seed (base: string) {
  let next = 0
  const worker = async () => {
    while (next < links.length) {
      const link = links[next++]!
      const response = await fetch(`${base}/api/projects/${encodeURIComponent(link.projectId)}/integrations/${link.provider}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${link.jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({ config: linkConfig(link.provider, link.projectId), credentials: { token: link.token } })
      })
      if (response.status !== 201 && response.status !== 200) {
        throw new Error(`seeding ${link.projectId}/${link.provider}: ${response.status} ${await response.text()}`)
      }
      await response.arrayBuffer().catch(() => {})
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
}

function linkConfig (provider: Provider, projectId: string) {
  switch (provider) {
    case 'github': return { owner: 'acme', repo: projectId.replace(/[^A-Za-z0-9_.-]/g, '-'), branch: 'main' }
    case 'vercel': return { projectId: 'prj_x' }
    case 'sanity': return { projectId: 'abc123', dataset: 'production' }
    case 'supabase': return { projectRef: 'abcdefghij' }
  }
}

function relay (targetPort: number) {
  const server = createTcpServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    for (const socket of [client, upstream]) {
      relaySockets.add(socket)
      socket.on('close', () => relaySockets.delete(socket))
      socket.on('error', () => { client.destroy(); upstream.destroy() })
    }
    client.pipe(upstream).pipe(client)
  })
  relays.push(server)
  return new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
}
