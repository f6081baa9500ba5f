import Fastify from 'fastify'
import { announce, onShutdown } from './lib/child.js'

// tsx turns source maps on for stack traces; compiled code in production runs without them.
process.setSourceMapsEnabled(false)

// The baseline: bare Fastify, no logger, no plugins, one route. Same Node, same CPU pin as the service.
const app = Fastify({ logger: false })
app.get('/', async () => ({ hello: 'world' }))

await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
if (!address || typeof address !== 'object') throw new Error('no address')
onShutdown(() => app.close())
await announce('READY', { url: `http://127.0.0.1:${address.port}`, pid: process.pid })
