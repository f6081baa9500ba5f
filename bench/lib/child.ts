/**
 * The child side of bench/lib/proc.ts: announce lines on stdout, and one idempotent shutdown on
 * SIGTERM, SIGINT or when stdin closes (the parent is gone, however it died).
 */

export function announce (kind: 'READY' | 'RESULT' | 'STARTED', payload: unknown = null) {
  return new Promise<void>((resolve) => {
    process.stdout.write(`${kind} ${JSON.stringify(payload)}\n`, () => resolve())
  })
}

/** Returns the shutdown itself, for a child that fails on its own (exits 1 after the cleanup). */
export function onShutdown (cleanup: () => Promise<void> | void) {
  // Once the parent is gone, writing to its pipes fails with EPIPE: that must not stop the cleanup.
  process.stdout.on('error', () => {})
  process.stderr.on('error', () => {})
  let started = false
  const run = (why: string, code = 0) => {
    if (started) return
    started = true
    process.stderr.write(`shutting down (${why})\n`)
    const timer = setTimeout(() => process.exit(1), 15_000)
    timer.unref()
    Promise.resolve()
      .then(cleanup)
      .then(() => process.exit(code), (error) => {
        process.stderr.write(`cleanup failed: ${(error as Error).stack}\n`)
        process.exit(1)
      })
  }
  process.on('SIGTERM', () => run('SIGTERM'))
  process.on('SIGINT', () => run('SIGINT'))
  process.on('SIGHUP', () => run('SIGHUP'))
  process.stdin.on('end', () => run('parent gone'))
  process.stdin.on('error', () => run('parent gone'))
  process.stdin.resume()
  return run
}

/** For short-lived children (the load generator): exit when the parent goes, without cleanup. */
export function exitWithParent () {
  process.stdin.on('end', () => process.exit(1))
  process.stdin.on('error', () => process.exit(1))
  process.stdin.resume()
}
