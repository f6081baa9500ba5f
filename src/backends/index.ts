import { createMemoryBackends } from './memory.js'
import { createRedisBackends } from './redis.js'
import type { BackendLogger } from './redis.js'
import type { Backends } from './types.js'

export type * from './types.js'
export type { BackendLogger } from './redis.js'

export interface CreateBackendsOptions {
  /** When set, state is shared through Redis; otherwise it lives in this process only. */
  redisUrl?: string
  prefix: string
  logger?: BackendLogger
}

export function createBackends (options: CreateBackendsOptions): Backends {
  const { redisUrl, prefix, logger } = options
  // An empty string counts as unset: that is what a blank REDIS_URL= in an env file yields.
  if (redisUrl !== undefined && redisUrl !== '') {
    return createRedisBackends({ url: redisUrl, prefix, logger })
  }
  return createMemoryBackends({ logger })
}
