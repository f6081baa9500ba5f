import http from 'node:http'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../plugins/config.js'
import { buildApp } from '../src/build-app.js'
import { signToken } from '../src/lib/tokens.js'

/**
 * `npm run bench:sse-gzip`: memory per open event stream with `Accept-Encoding: gzip` against the
 * same streams uncompressed (the baseline), each variant in a fresh process (service and raw
 * clients in one process, so the figure includes both ends; the ratio is what matters).
 * Compressed streams share pre-compressed frames (src/events/sse-connection.ts), so the ratio
 * should stay near 1; a per-connection zlib stream would make it ~8.
 */
const STREAMS = Number(process.env.BENCH_SSE_GZIP_STREAMS ?? 2000)

async function measure (encoding: string) {
  const config = loadConfig({ DATA_DIR: 'memory://', AUTH_JWT_SECRET: randomBytes(32).toString('hex'), CREDENTIALS_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'error', SSE_HEARTBEAT_MS: '300000' })
  const app = buildApp({ config })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const token = signToken(config.jwtSecret, { sub: 'u_bench', roles: { p_bench: 'owner' } })
  const open = () => new Promise<void>((resolve, reject) => {
    const headers = { authorization: `Bearer ${token}`, ...(encoding === 'identity' ? {} : { 'accept-encoding': encoding }) }
    http.get({ port, host: '127.0.0.1', path: '/api/integrations/events?projectId=p_bench', agent: false, headers }, (response) => {
      if (response.headers['content-encoding'] !== (encoding === 'identity' ? undefined : encoding)) reject(new Error('encoding not negotiated'))
      response.once('data', () => resolve())
      response.resume()
    }).on('error', reject)
  })
  const settle = async () => {
    await new Promise((resolve) => setTimeout(resolve, 500))
    global.gc?.()
  }
  for (let i = 0; i < 50; i++) await open() // warm-up: first-use allocations out of the figure
  await settle()
  const before = process.memoryUsage().rss
  for (let i = 0; i < STREAMS; i++) await open()
  await settle()
  const perStream = (process.memoryUsage().rss - before) / STREAMS / 1024
  process.stdout.write(JSON.stringify({ encoding, streams: app.events.openStreams(), perStreamKb: perStream }) + '\n')
  process.exit(0)
}

const variant = process.argv[2]
if (variant) {
  await measure(variant)
} else {
  const self = fileURLToPath(import.meta.url)
  const run = (encoding: string) => {
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, encoding], { encoding: 'utf8', timeout: 300_000 })
    if (child.status !== 0) throw new Error(`${encoding} run failed: ${child.stderr}`)
    return JSON.parse(child.stdout.trim().split('\n').pop()!) as { encoding: string, streams: number, perStreamKb: number }
  }
  const baseline = run('identity')
  const gzip = run('gzip')
  process.stdout.write(`${STREAMS} streams (server and clients in one process): identity ${baseline.perStreamKb.toFixed(1)} KB, gzip ${gzip.perStreamKb.toFixed(1)} KB per stream; gzip / identity = ${(gzip.perStreamKb / baseline.perStreamKb).toFixed(2)}\n`)
}
