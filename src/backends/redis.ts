import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { checkTtl, toJson } from './memory.js'
import type { Backends, Lease, MessageHandler } from './types.js'

export interface BackendLogger {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface RedisBackendsOptions {
  url: string
  /** Namespaces every key and channel, so several services or test runs can share one Redis. */
  prefix: string
  logger?: BackendLogger
}

// Compare-then-act must be atomic, or a lease that expired and passed to another holder
// between the GET and the DEL/PEXPIRE would be taken from its new owner.
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`
const EXTEND_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`

// A QUIT that gets no answer within this falls back to dropping the socket.
const QUIT_TIMEOUT_MS = 2000

interface LockCommands {
  releaseLock(key: string, token: string): Promise<number>
  extendLock(key: string, token: string, ttlMs: number): Promise<number>
}

interface Channel {
  subs: Set<{ handler: MessageHandler }>
  /** Settles when Redis has confirmed the SUBSCRIBE that all these handlers share. */
  ready: Promise<unknown>
}

/** The URL with its password masked, safe for logs. */
function redact (url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparseable redis url)'
  }
}

async function shutdown (conn: Redis): Promise<void> {
  if (conn.status === 'end') return
  // Offline, QUIT would sit in the offline queue through every retry: just drop the socket.
  if (conn.status !== 'ready') {
    conn.disconnect()
    return
  }
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('QUIT timed out')), QUIT_TIMEOUT_MS)
  })
  try {
    await Promise.race([conn.quit(), timeout])
  } catch {
    conn.disconnect()
  } finally {
    clearTimeout(timer)
  }
}

export function createRedisBackends (options: RedisBackendsOptions): Backends {
  const { prefix, logger } = options
  const where = redact(options.url)
  const cacheKey = (key: string) => `${prefix}cache:${key}`
  // Locks get their own namespace so a cache key and a lock key of the same name never collide,
  // as they cannot in memory.
  const lockKey = (key: string) => `${prefix}lock:${key}`

  const watch = (conn: Redis, role: string): Redis => {
    let last: string | undefined
    // Without a listener an unreachable Redis would surface as unhandled error events;
    // reconnect attempts repeat the same error, so only changes are logged.
    conn.on('error', (err: Error & { code?: string }) => {
      if (err.message === last) return
      last = err.message
      // Only name, message and code: ioredis errors can carry the failed command's arguments,
      // and AUTH's argument is the password.
      logger?.warn({ redis: where, role, err: { name: err.name, message: err.message, code: err.code } }, 'redis connection error')
    })
    conn.on('ready', () => { last = undefined })
    return conn
  }

  const client = watch(new Redis(options.url, {
    lazyConnect: false,
    // Fail commands after a couple of reconnect attempts rather than queueing them forever.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true
  }), 'command')
  client.defineCommand('releaseLock', { numberOfKeys: 1, lua: RELEASE_LUA })
  client.defineCommand('extendLock', { numberOfKeys: 1, lua: EXTEND_LUA })
  const scripts = client as Redis & LockCommands

  let subscriber: Redis | undefined
  const channels = new Map<string, Channel>()
  let closing: Promise<void> | undefined

  const assertOpen = () => {
    if (closing !== undefined) throw new Error('redis backends are closed')
  }

  // A connection in subscriber mode cannot run other commands, hence the second one.
  const getSubscriber = (): Redis => {
    if (subscriber !== undefined) return subscriber
    const conn = watch(client.duplicate(), 'subscriber')
    conn.on('message', (channel: string, message: string) => {
      const entry = channels.get(channel)
      if (entry === undefined) return
      for (const sub of [...entry.subs]) {
        if (!entry.subs.has(sub)) continue
        try {
          sub.handler(message)
        } catch (err) {
          logger?.error({ err, channel: channel.slice(prefix.length) }, 'pub/sub handler threw')
        }
      }
    })
    subscriber = conn
    return conn
  }

  /** Drops one local handler; the Redis subscription goes with the last one. */
  const leave = async (name: string, entry: Channel, sub: { handler: MessageHandler }) => {
    if (!entry.subs.delete(sub) || entry.subs.size > 0) return
    if (channels.get(name) === entry) channels.delete(name)
    if (closing !== undefined || subscriber === undefined) return
    try {
      await subscriber.unsubscribe(name)
    } catch (err) {
      // The handler is already detached locally, so the caller's guarantee holds; a stale
      // Redis subscription only costs dropped messages.
      logger?.warn({ err: { message: (err as Error).message }, channel: name.slice(prefix.length) }, 'redis unsubscribe failed')
    }
  }

  const lease = (key: string, token: string): Lease => ({
    key,
    token,
    async extend (ttlMs) {
      checkTtl(ttlMs)
      assertOpen()
      return await scripts.extendLock(lockKey(key), token, ttlMs) === 1
    },
    async release () {
      assertOpen()
      return await scripts.releaseLock(lockKey(key), token) === 1
    }
  })

  return {
    kind: 'redis',
    cache: {
      async get<T = unknown> (key: string) {
        assertOpen()
        const json = await client.get(cacheKey(key))
        return json === null ? undefined : JSON.parse(json) as T
      },
      async set (key, value, ttlMs) {
        checkTtl(ttlMs)
        const json = toJson(value)
        assertOpen()
        await client.set(cacheKey(key), json, 'PX', ttlMs)
      },
      async delete (key) {
        assertOpen()
        await client.del(cacheKey(key))
      }
    },
    pubsub: {
      async publish (channel, message) {
        assertOpen()
        await client.publish(prefix + channel, message)
      },
      async subscribe (channel, handler) {
        assertOpen()
        const name = prefix + channel
        const conn = getSubscriber()
        let entry = channels.get(name)
        if (entry === undefined) {
          const created: Channel = {
            subs: new Set(),
            // A failed SUBSCRIBE forgets the channel, so the next subscribe tries afresh.
            ready: conn.subscribe(name).catch((err: unknown) => {
              if (channels.get(name) === created) channels.delete(name)
              throw err
            })
          }
          entry = created
          channels.set(name, entry)
        }
        // Registered before awaiting, so a concurrent unsubscribe of another handler cannot
        // see the channel empty and UNSUBSCRIBE under us.
        const sub = { handler }
        entry.subs.add(sub)
        const joined = entry
        try {
          await joined.ready
        } catch (err) {
          joined.subs.delete(sub)
          throw err
        }
        return async () => { await leave(name, joined, sub) }
      }
    },
    locks: {
      async tryAcquire (key, ttlMs) {
        checkTtl(ttlMs)
        assertOpen()
        const token = randomUUID()
        const ok = await client.set(lockKey(key), token, 'PX', ttlMs, 'NX')
        return ok === 'OK' ? lease(key, token) : null
      }
    },
    connected: () => client.status === 'ready',

    async ping () {
      assertOpen()
      await client.ping()
    },
    close () {
      closing ??= (async () => {
        channels.clear()
        await Promise.all([shutdown(client), subscriber === undefined ? undefined : shutdown(subscriber)])
      })()
      return closing
    }
  }
}
