import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { announce, exitWithParent } from './lib/child.js'
import { percentile } from './lib/stats.js'
import { createZipf, mulberry32 } from './lib/zipf.js'
import type { LoadResult, LoadSpec, RequestSpec, TokensFile } from './lib/protocol.js'

/**
 * The load generator: autocannon's programmatic API in its own (pinned) process, so it never
 * shares an event loop or a core with the server. It records every response's latency itself
 * (autocannon's summary has no p95) and prints one `RESULT <json>` line.
 *
 * Usage: loadgen.ts '<LoadSpec as JSON>'
 */

const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec
exitWithParent()

const latencies: number[] = []
const statusCodes: Record<string, number> = {}
let socketErrors = 0
let reused = 0
const timelineAt: number[] = []
const timelineIndex: number[] = []

function entries (tokensFile: string, group: string) {
  const file = JSON.parse(readFileSync(tokensFile, 'utf8')) as TokensFile
  const list = file.groups[group]
  if (!list || list.length === 0) throw new Error(`no projects in group ${group}`)
  return list
}

let sequenceNext = spec.request.kind === 'sequence' ? spec.request.from : 0

/** The revalidating load's current ETag, and how many times it changed. */
const revalidation = { etag: spec.request.kind === 'fixed' ? spec.request.revalidate?.etag ?? '' : '', version: 0 }
const clientVersions = new WeakMap<object, number>()

/** After a response: a client still sending an older ETag gets its request rebuilt, once. */
function followEtag (client: { setHeaders (headers: Record<string, string>): void }) {
  if (spec.request.kind !== 'fixed' || !spec.request.revalidate) return
  if ((clientVersions.get(client) ?? 0) === revalidation.version) return
  clientVersions.set(client, revalidation.version)
  client.setHeaders({ ...spec.request.headers, 'if-none-match': revalidation.etag })
}

function requestsFor (request: RequestSpec, targetIndex: number): autocannon.Request[] {
  if (request.kind === 'fixed') {
    const headers = request.headers ?? {}
    if (!request.revalidate) return [{ method: 'GET', path: request.path, headers }]
    // A fixed request, its bytes built once, and rebuilt only when a 200 brings a new ETag (see
    // followEtag): a setupRequest would make autocannon rebuild the request for every one sent,
    // which capped the 304 run at what the load generator's core could build.
    return [{
      method: 'GET',
      path: request.path,
      headers: { ...headers, 'if-none-match': revalidation.etag },
      onResponse (status, _body, _context, responseHeaders) {
        if (status !== 200) return
        for (const [name, value] of Object.entries(responseHeaders)) {
          if (name.toLowerCase() === 'etag' && typeof value === 'string' && value !== revalidation.etag) {
            revalidation.etag = value
            revalidation.version++
          }
        }
      }
    }]
  }
  const list = entries(request.tokensFile, request.group)
  // Pre-built per project, so the generator does no string work per request.
  const extra = request.kind === 'cycle' ? request.headers ?? {} : {}
  const built = list.map((e) => ({
    path: request.path.replace('{projectId}', encodeURIComponent(e.projectId)),
    headers: { ...extra, authorization: `Bearer ${e.jwt}` }
  }))
  let pick: () => number
  if (request.kind === 'zipf') {
    const zipf = createZipf(list.length, request.s, mulberry32(request.seed + targetIndex * 7919))
    pick = zipf
  } else if (request.kind === 'cycle') {
    if (request.from + request.count > list.length) throw new Error(`group ${request.group} has ${list.length} projects, not ${request.from + request.count}`)
    let next = 0
    pick = () => request.from + (next++ % request.count)
  } else {
    // One counter for all targets: each project is asked for once in the whole run.
    const end = request.from + request.count
    pick = () => {
      if (sequenceNext >= end) { reused++; return request.from }
      return sequenceNext++
    }
  }
  return [{
    method: 'GET',
    setupRequest (req) {
      const index = pick()
      if (spec.timeline) { timelineAt.push(Date.now()); timelineIndex.push(index) }
      const target = built[index]!
      return { ...req, path: target.path, headers: target.headers }
    }
  }]
}

function runOne (url: string, targetIndex: number) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url,
      connections: spec.connections,
      duration: spec.duration,
      ...(spec.amount ? { amount: spec.amount } : {}),
      ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
      timeout: spec.timeoutS ?? 10,
      requests: requestsFor(spec.request, targetIndex)
    }, (error, result) => error ? reject(error) : resolve(result))
    instance.on('response', (client, statusCode, _bytes, responseTime) => {
      followEtag(client as unknown as Parameters<typeof followEtag>[0])
      latencies.push(responseTime)
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1
    })
    instance.on('reqError', () => { socketErrors++ })
    // `amount` runs ignore `duration`: bound them anyway.
    if (spec.amount) setTimeout(() => instance.stop(), spec.duration * 1000).unref()
  })
}

const cpuBefore = process.cpuUsage()
const startedAt = Date.now()
await announce('STARTED', { at: startedAt })
const results = await Promise.all(spec.targets.map((url, i) => runOne(url, i)))
const endedAt = Date.now()
const cpuUsed = process.cpuUsage(cpuBefore)

latencies.sort((a, b) => a - b)
const timeouts = results.reduce((n, r) => n + r.timeouts, 0)
const badStatus = Object.entries(statusCodes)
  .filter(([code]) => !(code.startsWith('2') || code === '304'))
  .reduce((n, [, count]) => n + count, 0)
const wallS = Math.max(0.001, (endedAt - startedAt) / 1000)
const result: LoadResult = {
  startedAt,
  endedAt,
  responses: latencies.length,
  rps: latencies.length / wallS,
  latencyMs: {
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    max: latencies.at(-1) ?? NaN,
    mean: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : NaN
  },
  statusCodes,
  // autocannon counts a timeout as an error too; socketErrors (reqError) covers both.
  errors: badStatus + socketErrors,
  socketErrors,
  timeouts,
  cpu: (cpuUsed.user + cpuUsed.system) / 1e6 / wallS,
  reused,
  ...(spec.timeline ? { timeline: { at: timelineAt, index: timelineIndex } } : {})
}
await announce('RESULT', result)
process.exit(0)
