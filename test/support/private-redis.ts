import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Test } from 'tap'
import { freePort, waitForPort, watchdog } from './free-port.js'

export interface PrivateRedis {
  url: string
  port: number
  /** SIGTERM (SIGKILL after 5 s) and wait until the process is gone: the port refuses connections. */
  stop(): Promise<void>
  /** Starts it again on the same port (empty: nothing is persisted) and waits until it listens. */
  start(): Promise<void>
  running(): boolean
}

/**
 * A redis-server of this test's own, on a free loopback port, persisting nothing, in a temp dir:
 * fault tests stop and restart it without touching the Redis other test files share.
 * Stopped and its directory removed at the end of the test, whatever happens.
 */
export async function startPrivateRedis (t: Test): Promise<PrivateRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'private-redis-'))
  const port = await freePort()
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()

  const stop = async () => {
    const current = child
    if (!current) return
    if (current.exitCode === null && current.signalCode === null) current.kill('SIGTERM')
    const killer = setTimeout(() => current.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(killer)
    child = undefined
  }
  const start = async () => {
    if (child) return
    const spawned = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'
    ], { stdio: 'ignore' })
    child = spawned
    // Never keeps the test process alive, and never outlives it (even if a teardown is skipped).
    spawned.unref()
    const killOnExit = () => { spawned.kill('SIGKILL') }
    process.once('exit', killOnExit)
    spawned.once('exit', () => process.removeListener('exit', killOnExit))
    exited = new Promise<void>((resolve) => spawned.once('exit', () => resolve()))
    const early = exited.then(() => { throw new Error(`redis-server on port ${port} exited at start`) })
    early.catch(() => {})
    await Promise.race([waitForPort(port, 'redis-server'), early])
  }

  const removeOnExit = () => rmSync(dir, { recursive: true, force: true })
  process.once('exit', removeOnExit)
  // Killed by a signal, this process runs no exit handler: the watchdog stops the server by its port.
  const guard = watchdog(`redis-cli -p ${port} shutdown nosave >/dev/null 2>&1; rm -rf '${dir}'`)
  t.teardown(async () => {
    await stop()
    await rm(dir, { recursive: true, force: true })
    process.removeListener('exit', removeOnExit)
    guard.cancel()
  })
  await start()
  return { url: `redis://127.0.0.1:${port}`, port, stop, start, running: () => child !== undefined }
}
