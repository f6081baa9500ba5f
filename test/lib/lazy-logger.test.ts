import t from 'tap'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import { addRequestLog, fastifyLogging, levelEnabled } from '../../src/logger.js'

/**
 * A request's logger is made only when a line is written: at warn, a request that logs nothing
 * never creates a child; whatever is written carries the request id and goes through redaction.
 */

async function app (level: string) {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk, _encoding, callback) { lines.push(...String(chunk).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)); callback() } })
  const config = { logLevel: level as 'info' }
  // The app's own logging wiring (build-app uses the same two calls), on a bare Fastify.
  const fastify = Fastify(fastifyLogging(config, stream))
  let children = 0
  const child = fastify.log.child.bind(fastify.log)
  fastify.log.child = ((...args: Parameters<typeof child>) => { children++; return child(...args) }) as typeof child
  addRequestLog(fastify, config)
  fastify.get('/quiet', async () => 'ok')
  fastify.get('/warns', async (request) => {
    request.log.info('not written at warn')
    request.log.warn({ detail: { token: 'secret-value' } }, 'something odd')
    return 'ok'
  })
  return { fastify, lines, children: () => children }
}

t.test('at warn: no child logger unless a warning is written', async (t) => {
  const { fastify, lines, children } = await app('warn')
  t.teardown(() => fastify.close())
  await fastify.inject({ url: '/quiet?code=abc' })
  t.equal(children(), 0, 'a quiet request made no child logger')
  t.equal(lines.length, 0, 'and wrote nothing')
  await fastify.inject({ url: '/warns' })
  t.equal(children(), 1, 'a warning made one')
  t.equal(lines.length, 1, 'one line: the info call wrote nothing')
  t.match(lines[0], { level: 40, msg: 'something odd', reqId: /./, detail: { token: '[redacted]' } }, 'with the request id, redacted')
})

t.test('at info: one line per request, its URL with secrets masked', async (t) => {
  const { fastify, lines } = await app('info')
  t.teardown(() => fastify.close())
  await fastify.inject({ url: '/quiet?code=abc&projectId=p1' })
  const completed = lines.filter((l) => l.msg === 'request completed')
  t.equal(completed.length, 1, 'one line for the request')
  t.match(completed[0], { req: { method: 'GET', url: '/quiet?code=[redacted]&projectId=p1' }, res: { statusCode: 200 }, responseTime: Number }, 'method, masked URL, status, time')
  t.equal(lines.filter((l) => l.msg === 'incoming request').length, 0, 'no separate "incoming request" line')
})

t.test('levelEnabled', async (t) => {
  t.ok(levelEnabled('info', 'info'))
  t.ok(levelEnabled('debug', 'info'))
  t.notOk(levelEnabled('warn', 'info'))
  t.notOk(levelEnabled('silent', 'fatal'))
})
