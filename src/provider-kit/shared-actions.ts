import type { ActionExecutor } from './executor.js'

/** Pieces every provider's executors share: the params rule, sync and disconnect. */

/** For actions that take nothing: any key is a mistake worth a 400. */
export function noParams (id: string) {
  return (params: Record<string, unknown>) => {
    const keys = Object.keys(params)
    return keys.length === 0 ? undefined : `${id} takes no parameters (got ${keys.join(', ')})`
  }
}

/** sync: re-check the provider now, past the cache; the new status is stored and announced. */
export function syncExecutor (requireLink: (ctx: Parameters<NonNullable<ActionExecutor['run']>>[0]) => unknown): ActionExecutor {
  return {
    id: 'sync',
    mode: 'inline',
    retryable: true,
    needsLink: true,
    check: noParams('sync'),
    async run (ctx) {
      requireLink(ctx)
      await ctx.refreshStatus()
      return { refreshed: true }
    }
  }
}

/**
 * disconnect: removes the link and its stored credentials. It needs no link, so a retry after a
 * crash that already unlinked still succeeds. `note` says honestly what happens at the provider.
 */
export function disconnectExecutor (note: string): ActionExecutor {
  return {
    id: 'disconnect',
    mode: 'inline',
    retryable: true,
    needsLink: false,
    check: noParams('disconnect'),
    async run (ctx) {
      await ctx.unlink()
      return { unlinked: true, revokedAtProvider: false, note }
    }
  }
}
