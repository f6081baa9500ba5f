import fp from 'fastify-plugin'

/**
 * Shutdown in two steps. `begin()` (on SIGTERM) only marks the instance as draining: /readyz
 * answers 503 at once so balancers stop sending new work, while everything still works for the
 * grace period (balancers notice late). Then the server closes: streams end with a retry hint
 * (the events plugin's preClose), open requests finish, running actions finish or are handed back.
 */
export function createDrain () {
  let draining = false
  return {
    get draining () { return draining },
    begin () { draining = true }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    drain: ReturnType<typeof createDrain>
  }
}

export default fp(async function drainPlugin (fastify) {
  const drain = createDrain()
  fastify.decorate('drain', drain)
  // Closing without a SIGTERM first (tests, scripts) is a drain too.
  fastify.addHook('preClose', async () => { drain.begin() })
}, { name: 'drain', fastify: '5.x' })
