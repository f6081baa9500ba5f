import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import { EventSource } from 'eventsource'
import { Agent, fetch as undiciFetch } from 'undici'
import type { Action } from '../../src/schemas/action.js'
import { eventually } from './events.js'
import { connectDatabase, type DatabaseHandle } from '../../src/db/connect.js'
import { signToken, type TokenClaims } from '../../src/lib/tokens.js'
import { TEST_JWT_SECRET, testEnv } from '../helper.js'
import { dropSchema, deleteKeys, TEST_DATABASE_URL } from './cleanup.js'
import { startInstance, type Instance, type Owner } from './instance.js'
import { LINK_CONFIGS, setScenario } from './status-app.js'
import { providerEnv, startSimulator, type Provider, type ScenarioName, type ScenarioOptions, type Simulator } from '../simulator/simulator.js'

type Role = TokenClaims['roles'][string]

export interface Cluster {
  /** Each in its own process; kill, stop or restart any of them. */
  instances: Instance[]
  /** The provider simulator every instance talks to. */
  sim: Simulator
  /** A plain connection to the shared schema, for assertions: it runs no worker and takes no lease. */
  db: DatabaseHandle['db']
  schema: string
  redisPrefix: string
  as (role: Role, projectId: string, sub?: string): { authorization: string }
  /** The first instance that is running (a test's "load balancer" of last resort). */
  alive (): Instance
  /** Waits, on the shared database (no instance needed), until the action has succeeded or failed. */
  settled (id: string): Promise<{ status: string, attempts: number, claimed_by: string | null }>
  /** Links a provider through a running instance, with a fresh token registered at the simulator. */
  link (projectId: string, provider: Provider, scenario?: ScenarioName, options?: ScenarioOptions): Promise<string>
}

let tokens = 0

/**
 * N instances of the real service (src/server.ts, each its own process, on loopback) over one
 * PostgreSQL schema and one Redis prefix, all pointed at one provider simulator: the multi-instance
 * harness of issue #7. The owner's teardown kills every instance, then drops the schema and keys.
 * Needs real PostgreSQL and Redis (callers skip with `realOnly`).
 */
export async function startCluster (owner: Owner, options: { size?: number, env?: Record<string, string>, instanceEnv?: Array<Record<string, string>> } = {}): Promise<Cluster> {
  const sim = await startSimulator()
  const env = testEnv('real', {
    ...providerEnv(sim.baseUrls),
    LOG_LEVEL: 'info',
    ...options.env
  })
  const schema = env.DATABASE_SCHEMA!
  const redisPrefix = env.REDIS_PREFIX!
  // Teardowns run last-registered first: instances die, then the connection closes, then this.
  owner.teardown(async () => {
    await sim.close()
    await dropSchema(TEST_DATABASE_URL, schema)
    await deleteKeys(env.REDIS_URL!, redisPrefix)
  })
  // The first one migrates the schema; the others then start together.
  // `instanceEnv[i]` adds to instance i's environment (e.g. a FAULT_POINT armed on one of them).
  const envOf = (i: number) => ({ ...env, ...options.instanceEnv?.[i] })
  const first = await startInstance(owner, envOf(0))
  const rest = await Promise.all(Array.from({ length: (options.size ?? 2) - 1 }, (_, i) => startInstance(owner, envOf(i + 1))))
  const instances = [first, ...rest]
  const handle = await connectDatabase({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 2, dataDir: 'memory://' })
  owner.teardown(() => handle.close())

  const as: Cluster['as'] = (role, projectId, sub = `u_${role}`) =>
    ({ authorization: `Bearer ${signToken(TEST_JWT_SECRET, { sub, roles: { [projectId]: role } })}` })
  const alive = () => {
    const running = instances.find((instance) => instance.running)
    if (!running) throw new Error('no instance of the cluster is running')
    return running
  }
  return {
    instances,
    sim,
    db: handle.db,
    schema,
    redisPrefix,
    as,
    alive,
    async settled (id) {
      for (let i = 0; i < 600; i++) {
        const row = await handle.db.selectFrom('integration_actions').select(['status', 'attempts', 'claimed_by']).where('id', '=', id).executeTakeFirstOrThrow()
        if (row.status === 'succeeded' || row.status === 'failed') return row
        await sleep(50)
      }
      throw new Error(`action ${id} did not finish`)
    },
    async link (projectId, provider, scenario = 'healthy', scenarioOptions = {}) {
      const token = `tok_${provider}_cluster_${process.pid}_${++tokens}`
      setScenario(sim, provider, token, scenario, scenarioOptions)
      const response = await fetch(`${alive().url}/api/projects/${projectId}/integrations/${provider}`, {
        method: 'PUT',
        headers: { ...as('owner', projectId), 'content-type': 'application/json' },
        body: JSON.stringify({ config: LINK_CONFIGS[provider], credentials: { token } })
      })
      if (response.status >= 300) throw new Error(`link failed: ${response.status} ${await response.text()}`)
      return token
    }
  }
}

/**
 * An SSE client behind a test's "load balancer": each (re)connect goes to the instance `route()`
 * names at that moment, so a test moves the client by changing what `route` returns. `connects`
 * records `label:last-event-id` per connect ('-' for none), to prove where and how it resumed.
 * Resolves once the first connection is ready.
 */
export async function balancedStream (t: Test, options: { projectId: string, authorization: string, route: () => { url: string, label: string } }) {
  const connects: string[] = []
  const received: Array<{ id: number, action: Action }> = []
  const agent = new Agent()
  t.teardown(() => agent.destroy())
  const es = new EventSource(`http://balancer.invalid/api/integrations/events?projectId=${options.projectId}`, {
    fetch: async (input, init) => {
      const { url, label } = options.route()
      connects.push(`${label}:${new Headers(init?.headers).get('last-event-id') ?? '-'}`)
      return undiciFetch(String(input).replace('http://balancer.invalid', url), { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), authorization: options.authorization }, dispatcher: agent } as Parameters<typeof undiciFetch>[1]) as unknown as Response
    }
  })
  t.teardown(() => es.close())
  es.addEventListener('action', (event) => { received.push({ id: Number(event.lastEventId), action: JSON.parse(event.data) }) })
  await new Promise<void>((resolve) => es.addEventListener('ready', () => resolve(), { once: true }))
  return { connects, received }
}

/** Waits until a runner has taken the action (status running) and says which worker holds it. */
export async function runnerOf (db: DatabaseHandle['db'], id: string): Promise<string | null> {
  let claimedBy: string | null = null
  await eventually(async () => {
    const row = await db.selectFrom('integration_actions').select(['status', 'claimed_by']).where('id', '=', id).executeTakeFirstOrThrow()
    claimedBy = row.claimed_by
    return row.status === 'running'
  }, 'the action is taken by a runner')
  return claimedBy
}
