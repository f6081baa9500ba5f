import t from 'tap'
import Fastify from 'fastify'
import { appendVary } from '../../src/lib/vary.js'

/** appendVary adds to Vary without dropping what another hook put there, once per field. */

t.test('appendVary', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.get('/', async (request, reply) => {
    const preset = request.headers['x-preset']
    if (typeof preset === 'string') reply.header('vary', preset)
    for (const field of String(request.headers['x-add']).split('|')) appendVary(reply, field)
    return 'ok'
  })
  const vary = async (add: string, preset?: string) =>
    (await app.inject({ url: '/', headers: { 'x-add': add, ...(preset === undefined ? {} : { 'x-preset': preset }) } })).headers.vary
  t.equal(await vary('Origin'), 'Origin', 'none before: set')
  t.equal(await vary('Accept-Encoding', 'Origin'), 'Origin, Accept-Encoding', 'appended after Origin')
  t.equal(await vary('origin|Accept-Encoding|accept-encoding', 'Origin'), 'Origin, Accept-Encoding', 'no duplicates, whatever the case')
  t.equal(await vary('Authorization', '*'), '*', '* already covers everything')
  t.equal(await vary('Cookie', 'Origin, Authorization'), 'Origin, Authorization, Cookie', 'a list before: kept')
})
