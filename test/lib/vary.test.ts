import t from 'tap'
import Fastify from 'fastify'
import { appendVary, varyOn } from '../../src/lib/vary.js'

/** Vary grows, never loses what another hook put there (CORS's Origin), once per name. */

t.test('appendVary', async (t) => {
  t.equal(appendVary(undefined, ['Origin']), 'Origin', 'none before: set')
  t.equal(appendVary('Origin', ['Accept-Encoding']), 'Origin, Accept-Encoding', 'appended after Origin')
  t.equal(appendVary('Origin', ['origin', 'Accept-Encoding']), 'Origin, Accept-Encoding', 'no duplicates, whatever the case')
  t.equal(appendVary('Origin, Accept-Encoding', ['accept-encoding']), 'Origin, Accept-Encoding', 'nothing new: unchanged')
  t.equal(appendVary('*', ['Authorization']), '*', '* already covers everything')
  t.equal(appendVary(['Origin', 'Cookie'], ['Authorization']), 'Origin, Cookie, Authorization', 'a header set as a list')
})

t.test('varyOn keeps what an earlier hook set', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.addHook('onRequest', (request, reply, done) => {
    if (request.headers.origin) reply.header('vary', 'Origin')
    done()
  })
  app.get('/', (request, reply) => {
    varyOn(reply, ['Authorization', 'Cookie'])
    reply.send('ok')
  })
  t.equal((await app.inject({ url: '/', headers: { origin: 'https://a.example' } })).headers.vary, 'Origin, Authorization, Cookie')
  t.equal((await app.inject({ url: '/' })).headers.vary, 'Authorization, Cookie')
})
