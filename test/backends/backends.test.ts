import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import t from 'tap'
import type { Test } from 'tap'
import { createMemoryBackends } from '../../src/backends/memory.js'
import { createRedisBackends } from '../../src/backends/redis.js'
import type { Backends } from '../../src/backends/index.js'

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
// Every key and channel of this run lives under it, so parallel runs cannot interfere.
const prefix = `test:${randomUUID()}:`

interface Log { level: 'warn' | 'error', obj: object, msg: string }

interface Impl {
  name: 'memory' | 'redis'
  /** Whether two instances can share state; memory instances never do, by design. */
  shared: boolean
  /** A fresh instance closed when t ends; with the same namespace, redis instances share state. */
  open(t: Test, namespace?: string): { b: Backends, logs: Log[] }
}

function recorder () {
  const logs: Log[] = []
  const logger = {
    warn: (obj: object, msg: string) => { logs.push({ level: 'warn', obj, msg }) },
    error: (obj: object, msg: string) => { logs.push({ level: 'error', obj, msg }) }
  }
  return { logs, logger }
}

const memory: Impl = {
  name: 'memory',
  shared: false,
  open (t) {
    const { logs, logger } = recorder()
    const b = createMemoryBackends({ logger })
    t.teardown(() => b.close())
    return { b, logs }
  }
}

const redis: Impl = {
  name: 'redis',
  shared: true,
  open (t, namespace = randomUUID()) {
    const { logs, logger } = recorder()
    const b = createRedisBackends({ url: redisUrl, prefix: `${prefix}${namespace}:`, logger })
    t.teardown(() => b.close())
    return { b, logs }
  }
}

function redact (url: string): string {
  const parsed = new URL(url)
  if (parsed.password !== '') parsed.password = '***'
  return parsed.toString()
}

/** Polls until check returns a value other than null/undefined/false; bounded, never a fixed sleep. */
async function eventually<T> (check: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 3000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== null && value !== undefined && value !== false) return value
    if (Date.now() > deadline) return undefined
    await sleep(5)
  }
}

function inbox () {
  const got: string[] = []
  return { got, handler: (message: string) => { got.push(message) } }
}

/** Undefined when Redis answers, else why not. Fails fast: no retries, no offline queue. */
async function probeRedis (): Promise<string | undefined> {
  const conn = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false
  })
  // connect() itself only reports "Connection is closed."; the error event says why.
  let cause: string | undefined
  conn.on('error', (err: Error) => { cause ??= err.message })
  try {
    await conn.connect()
    await conn.ping()
    return undefined
  } catch (err) {
    return cause ?? (err as Error).message
  } finally {
    conn.disconnect()
  }
}

function suite (t: Test, impl: Impl, admin: Redis | undefined) {
  t.test('cache: get, set, overwrite, delete', async t => {
    const { b } = impl.open(t)
    t.equal(await b.cache.get('k'), undefined, 'absent key is undefined')
    await b.cache.set('k', { a: 1, list: [1, 'two', true] }, 60_000)
    t.same(await b.cache.get('k'), { a: 1, list: [1, 'two', true] })
    await b.cache.set('k', 'replaced', 60_000)
    t.equal(await b.cache.get('k'), 'replaced')
    await b.cache.set('null', null, 60_000)
    t.equal(await b.cache.get('null'), null, 'a stored null is a value, not absence')
    await b.cache.set('zero', 0, 60_000)
    t.equal(await b.cache.get('zero'), 0)
    await b.cache.delete('k')
    t.equal(await b.cache.get('k'), undefined, 'deleted')
    await t.resolves(b.cache.delete('never-set'), 'deleting an absent key is fine')
  })

  t.test('cache: entries expire after their ttl', async t => {
    const { b } = impl.open(t)
    await b.cache.set('short', 'v', 100)
    await b.cache.set('long', 'v', 60_000)
    t.equal(await b.cache.get('short'), 'v', 'present before expiry')
    t.ok(await eventually(async () => await b.cache.get('short') === undefined), 'short entry expires')
    t.equal(await b.cache.get('long'), 'v', 'long entry survives')
  })

  t.test('cache: set replaces the ttl', async t => {
    const { b } = impl.open(t)
    await b.cache.set('k', 'v', 50)
    await b.cache.set('k', 'v2', 60_000)
    // Set after k, with the same short ttl: once it is gone, k's first ttl has passed too.
    await b.cache.set('clock', 'tick', 50)
    t.ok(await eventually(async () => await b.cache.get('clock') === undefined), 'clock entry expires')
    t.equal(await b.cache.get('k'), 'v2', 'the second set\'s ttl applies')
  })

  t.test('cache: values are copies with JSON semantics', async t => {
    const { b } = impl.open(t)
    const value = { nested: { n: 1 }, when: new Date(0) }
    await b.cache.set('k', value, 60_000)
    value.nested.n = 2
    const first = await b.cache.get<{ nested: { n: number }, when: string }>('k')
    t.same(first, { nested: { n: 1 }, when: '1970-01-01T00:00:00.000Z' }, 'later mutation not stored; Date became a string')
    if (first) first.nested.n = 3
    const second = await b.cache.get<{ nested: { n: number } }>('k')
    t.equal(second?.nested.n, 1, 'mutating a result does not change the store')
    t.not(first, second, 'each get returns a new object')
  })

  t.test('invalid values and ttls reject', async t => {
    const { b } = impl.open(t)
    await t.rejects(b.cache.set('k', undefined, 1000), TypeError)
    await t.rejects(b.cache.set('k', () => {}, 1000), TypeError)
    await t.rejects(b.cache.set('k', 1n, 1000), TypeError)
    for (const ttl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await t.rejects(b.cache.set('k', 1, ttl), RangeError, `cache ttl ${ttl}`)
      await t.rejects(b.locks.tryAcquire('l', ttl), RangeError, `lock ttl ${ttl}`)
    }
    const lease = await b.locks.tryAcquire('l', 60_000)
    await t.rejects(lease!.extend(0), RangeError, 'extend ttl')
    t.equal(await b.cache.get('k'), undefined, 'nothing was stored')
  })

  t.test('pubsub: every subscriber gets every message, in order', async t => {
    const { b } = impl.open(t)
    const one = inbox()
    const two = inbox()
    await b.pubsub.subscribe('ch', one.handler)
    await b.pubsub.subscribe('ch', two.handler)
    for (const m of ['a', 'b', 'c']) await b.pubsub.publish('ch', m)
    t.ok(await eventually(() => one.got.length === 3 && two.got.length === 3), 'both got all three')
    t.same(one.got, ['a', 'b', 'c'])
    t.same(two.got, ['a', 'b', 'c'])
  })

  t.test('pubsub: the same function subscribed twice is two subscriptions', async t => {
    const { b } = impl.open(t)
    const box = inbox()
    const off = await b.pubsub.subscribe('ch', box.handler)
    await b.pubsub.subscribe('ch', box.handler)
    await b.pubsub.publish('ch', 'm1')
    t.ok(await eventually(() => box.got.length === 2), 'delivered once per subscription')
    await off()
    await b.pubsub.publish('ch', 'm2')
    t.ok(await eventually(() => box.got.length === 3), 'the other subscription still delivers')
    t.same(box.got, ['m1', 'm1', 'm2'])
  })

  t.test('pubsub: unsubscribe stops delivery', async t => {
    const namespace = randomUUID()
    const { b } = impl.open(t, namespace)
    // Channel names as Redis sees them, for the redis-only subscription count checks.
    const raw = `${prefix}${namespace}:ch`
    const numsub = async () => {
      const reply = await admin!.pubsub('NUMSUB', raw) as [string, number]
      return Number(reply[1])
    }
    const stays = inbox()
    const leaves = inbox()
    const marker = inbox()
    const offStays = await b.pubsub.subscribe('ch', stays.handler)
    const offLeaves = await b.pubsub.subscribe('ch', leaves.handler)
    await b.pubsub.subscribe('marker', marker.handler)
    if (admin) t.equal(await numsub(), 1, 'local handlers share one Redis subscription')

    await offLeaves()
    await t.resolves(offLeaves(), 'unsubscribing twice is harmless')
    await b.pubsub.publish('ch', 'after-one-left')
    t.ok(await eventually(() => stays.got.length === 1), 'remaining handler still delivers')
    t.same(leaves.got, [], 'unsubscribed handler got nothing')
    if (admin) t.equal(await numsub(), 1, 'still subscribed while a handler remains')

    await offStays()
    if (admin) t.equal(await numsub(), 0, 'last handler leaving unsubscribes from Redis')
    await b.pubsub.publish('ch', 'after-all-left')
    // Same publisher, same order: once the marker arrives, a message on ch would have too.
    await b.pubsub.publish('marker', 'sync')
    t.ok(await eventually(() => marker.got.length === 1), 'marker delivered')
    t.same(stays.got, ['after-one-left'], 'no delivery after the last unsubscribe')

    const again = inbox()
    await b.pubsub.subscribe('ch', again.handler)
    await b.pubsub.publish('ch', 'resubscribed')
    t.ok(await eventually(() => again.got.length === 1), 'subscribing again after the count hit zero works')
  })

  t.test('pubsub: channels are isolated', async t => {
    const { b } = impl.open(t)
    const a = inbox()
    const c = inbox()
    await b.pubsub.subscribe('a', a.handler)
    await b.pubsub.subscribe('c', c.handler)
    await b.pubsub.publish('a', 'to-a')
    await b.pubsub.publish('c', 'to-c')
    await b.pubsub.publish('nobody', 'to-nobody')
    t.ok(await eventually(() => a.got.length === 1 && c.got.length === 1), 'each got its own')
    await b.pubsub.publish('a', 'sync')
    t.ok(await eventually(() => a.got.length === 2), 'later message on a arrived')
    t.same(a.got, ['to-a', 'sync'])
    t.same(c.got, ['to-c'])
  })

  t.test('pubsub: a throwing handler does not stop the others', async t => {
    const { b, logs } = impl.open(t)
    const box = inbox()
    await b.pubsub.subscribe('ch', () => { throw new Error('handler bug') })
    await b.pubsub.subscribe('ch', box.handler)
    await b.pubsub.publish('ch', 'm1')
    await b.pubsub.publish('ch', 'm2')
    t.ok(await eventually(() => box.got.length === 2), 'the well-behaved handler got both')
    t.same(box.got, ['m1', 'm2'])
    t.equal(logs.filter(l => l.level === 'error').length, 2, 'each throw was logged')
  })

  t.test('instances sharing a namespace see each other', { skip: impl.shared ? false : 'memory backends are per-process by design: a second instance shares nothing, so there is nothing to see' }, async t => {
    const namespace = randomUUID()
    const { b: one } = impl.open(t, namespace)
    const { b: two } = impl.open(t, namespace)
    const box = inbox()
    const own = inbox()
    await two.pubsub.subscribe('ch', box.handler)
    await one.pubsub.subscribe('ch', own.handler)
    await one.pubsub.publish('ch', 'hello')
    t.ok(await eventually(() => box.got.length === 1 && own.got.length === 1), 'publish reaches both instances')

    await one.cache.set('k', { v: 1 }, 60_000)
    t.same(await two.cache.get('k'), { v: 1 }, 'cache is shared')
    await two.cache.delete('k')
    t.equal(await one.cache.get('k'), undefined, 'and so are deletes')

    const lease = await one.locks.tryAcquire('l', 60_000)
    t.ok(lease, 'one takes the lock')
    t.equal(await two.locks.tryAcquire('l', 60_000), null, 'two cannot while one holds it')
    t.equal(await lease!.release(), true)
    const taken = await two.locks.tryAcquire('l', 60_000)
    t.ok(taken, 'two takes it once released')
    t.equal(await lease!.release(), false, 'the old lease cannot release the new holder\'s')

    await two.close()
    await t.resolves(one.ping(), 'closing one instance leaves the other working')
  })

  t.test('instances in different namespaces are isolated', async t => {
    const { b: one } = impl.open(t)
    const { b: two } = impl.open(t)
    const theirs = inbox()
    const mine = inbox()
    await two.pubsub.subscribe('ch', theirs.handler)
    await one.pubsub.subscribe('ch', mine.handler)
    await one.pubsub.publish('ch', 'private')
    t.ok(await eventually(() => mine.got.length === 1), 'own subscriber got it')
    t.same(theirs.got, [], 'the other namespace did not')
    await one.cache.set('k', 1, 60_000)
    t.equal(await two.cache.get('k'), undefined, 'cache is separate')
    t.ok(await one.locks.tryAcquire('l', 60_000), 'one takes l')
    t.ok(await two.locks.tryAcquire('l', 60_000), 'two takes its own l')
  })

  t.test('locks: exclusive until released', async t => {
    const { b } = impl.open(t)
    const lease = await b.locks.tryAcquire('l', 60_000)
    t.ok(lease, 'free lock is taken')
    t.equal(lease?.key, 'l', 'lease carries the caller\'s key')
    t.match(lease?.token, /^[0-9a-f-]{36}$/, 'token is a uuid')
    t.equal(await b.locks.tryAcquire('l', 60_000), null, 'held lock is not')
    t.ok(await b.locks.tryAcquire('other', 60_000), 'other keys are independent')
    t.equal(await lease!.release(), true, 'holder releases')
    t.equal(await lease!.release(), false, 'second release reports nothing held')
    const next = await b.locks.tryAcquire('l', 60_000)
    t.ok(next, 'released lock is free again')
    t.not(next?.token, lease?.token, 'with a fresh token')
  })

  t.test('locks: of concurrent acquires exactly one wins', async t => {
    const { b } = impl.open(t)
    const results = await Promise.all(Array.from({ length: 20 }, () => b.locks.tryAcquire('l', 60_000)))
    t.equal(results.filter(r => r !== null).length, 1)
  })

  t.test('locks: expiry allows re-acquire; the superseded lease can neither release nor extend', async t => {
    const { b } = impl.open(t)
    const first = await b.locks.tryAcquire('l', 50)
    t.ok(first, 'short lease taken')
    const second = await eventually(() => b.locks.tryAcquire('l', 60_000))
    t.ok(second, 're-acquired after expiry')
    t.not(second?.token, first?.token)
    t.equal(await first!.extend(60_000), false, 'old holder cannot extend')
    t.equal(await first!.release(), false, 'old holder cannot release')
    t.equal(await b.locks.tryAcquire('l', 60_000), null, 'new holder still holds it')
    t.equal(await second!.release(), true, 'new holder releases')
  })

  t.test('locks: extend keeps the lease past its original ttl', async t => {
    const { b } = impl.open(t)
    const lease = await b.locks.tryAcquire('l', 100)
    // Taken after l with the same ttl: once it is free again, l's original ttl has passed.
    const clock = await b.locks.tryAcquire('clock', 100)
    t.ok(lease && clock)
    t.equal(await lease!.extend(60_000), true, 'holder extends')
    t.ok(await eventually(() => b.locks.tryAcquire('clock', 60_000)), 'clock lease expired')
    t.equal(await b.locks.tryAcquire('l', 60_000), null, 'extended lease still held')
    t.equal(await lease!.extend(60_000), true, 'and can be extended again')
    t.equal(await lease!.release(), true)
    t.equal(await lease!.extend(60_000), false, 'a released lease cannot be extended')
  })

  t.test('locks and cache keys are separate', async t => {
    const { b } = impl.open(t)
    await b.cache.set('same', 'cached', 60_000)
    const lease = await b.locks.tryAcquire('same', 60_000)
    t.ok(lease, 'a cache entry does not hold the lock')
    t.equal(await b.cache.get('same'), 'cached', 'the lock does not overwrite the entry')
    await b.cache.delete('same')
    t.equal(await b.locks.tryAcquire('same', 60_000), null, 'deleting the entry does not free the lock')
  })

  t.test('ping resolves while open', async t => {
    const { b } = impl.open(t)
    await t.resolves(b.ping())
    t.equal(b.connected(), true, 'and the backend says it is connected')
  })

  t.test('close is idempotent; later commands reject, unsubscribes do not', async t => {
    const { b } = impl.open(t) // its teardown closes once more
    const off = await b.pubsub.subscribe('ch', () => {})
    const lease = await b.locks.tryAcquire('l', 60_000)
    await Promise.all([b.close(), b.close()])
    await t.resolves(b.close(), 'closing again resolves')
    await t.resolves(off(), 'unsubscribing after close is a no-op')
    await t.rejects(b.ping(), 'ping rejects')
    await t.rejects(b.cache.get('k'))
    await t.rejects(b.cache.set('k', 1, 1000))
    await t.rejects(b.cache.delete('k'))
    await t.rejects(b.pubsub.publish('ch', 'm'))
    await t.rejects(b.pubsub.subscribe('ch', () => {}))
    await t.rejects(b.locks.tryAcquire('l2', 1000))
    await t.rejects(lease!.release())
  })
}

const redisDown = await probeRedis()
if (redisDown !== undefined) {
  const why = `Redis unreachable at ${redact(redisUrl)} (${redisDown})`
  if (process.env.CI === 'true') {
    t.fail(`${why}; CI=true requires the Redis backend tests to run`)
  } else {
    t.comment(`!!!!! ${why}: SKIPPING the Redis half of the backend suite. Start Redis or set TEST_REDIS_URL. !!!!!`)
  }
}

for (const impl of [memory, redis]) {
  const skip = impl.name === 'redis' && redisDown !== undefined ? `Redis unreachable at ${redact(redisUrl)}` : false
  t.test(impl.name, { skip }, async t => {
    let admin: Redis | undefined
    if (impl.name === 'redis') {
      const conn = new Redis(redisUrl, { maxRetriesPerRequest: 2 })
      admin = conn
      t.teardown(async () => {
        let removed = 0
        for await (const keys of conn.scanStream({ match: `${prefix}*`, count: 500 })) {
          if ((keys as string[]).length > 0) removed += await conn.del(...(keys as string[]))
        }
        t.comment(`removed ${removed} leftover keys under ${prefix}`)
        await conn.quit()
      })
    }
    suite(t, impl, admin)
  })
}

// Needs no server: it checks that an unreachable Redis fails calls instead of crashing or hanging.
t.test('redis: unreachable server', async t => {
  const password = 's3cret-pw'
  const { logs, logger } = recorder()
  // Port 1 refuses connections at once.
  const b = createRedisBackends({ url: `redis://:${password}@127.0.0.1:1`, prefix, logger })
  t.teardown(() => b.close())
  await t.rejects(b.ping(), 'ping rejects')
  t.equal(b.connected(), false, 'connected() lets callers skip it without waiting')
  await t.rejects(b.cache.get('k'), 'commands reject')
  await t.rejects(b.pubsub.subscribe('ch', () => {}), 'subscribe rejects')
  t.ok(logs.some(l => l.level === 'warn'), 'connection errors are logged')
  t.notOk(JSON.stringify(logs).includes(password), 'the password never reaches the log')
  await t.resolves(b.close(), 'close does not hang')
})
