import { execFile, execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { chown, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { freePort, watchdog } from './free-port.js'

const run = promisify(execFile)
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'
const OS_USER = 'postgres'

export interface PrivatePostgres {
  url: string
  port: number
  /** `pg_ctl stop -m fast`, waiting until it is down: every connection is cut, the port refuses. */
  stop(): Promise<void>
  /** `pg_ctl start -w` on the same port and data directory (the data is kept). */
  start(): Promise<void>
}

/** Runs a PostgreSQL binary as the `postgres` OS user (initdb refuses root). */
function commandFor (binary: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', OS_USER, '--', path.join(BIN, binary), ...args]] : [path.join(BIN, binary), args]
}
async function asPostgres (binary: string, args: string[]) {
  return run(...commandFor(binary, args), { timeout: 60_000 })
}

/**
 * null when a private cluster can be made here, else why not (no binaries, no `postgres` user, …).
 * Tried once per process by creating and removing a throwaway cluster.
 */
let feasible: Promise<string | null> | undefined
export function privatePostgresProblem () {
  feasible ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'private-pg-probe-'))
    try {
      await prepare(dir)
      await asPostgres('initdb', ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions'])
      return null
    } catch (error) {
      return `cannot create a private PostgreSQL cluster with ${BIN}: ${(error as Error).message.split('\n')[0]}`
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })()
  return feasible
}

async function prepare (dir: string) {
  if (process.getuid?.() !== 0) return
  const { stdout } = await run('id', ['-u', OS_USER])
  const { stdout: gid } = await run('id', ['-g', OS_USER])
  await chown(dir, Number(stdout.trim()), Number(gid.trim()))
}

/**
 * A PostgreSQL cluster of this test's own (initdb in a temp dir, trust auth, loopback only, on a
 * free port), so fault tests can stop and restart it without touching the shared one. Stopped
 * (immediate) and removed at the end of the test, whatever happens.
 */
export async function startPrivatePostgres (t: Test): Promise<PrivatePostgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'private-pg-'))
  const data = path.join(dir, 'data')
  let running = false
  // If the process ends without the teardown (a skipped teardown, a crash), the cluster goes anyway.
  const onExit = () => {
    try {
      if (running) execFileSync(...commandFor('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore', timeout: 10_000 })
    } catch {}
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', onExit)
  // Killed by a signal, this process runs no exit handler: the watchdog stops the cluster.
  const guard = watchdog(`${commandFor('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).flat().map((arg) => `'${arg}'`).join(' ')} >/dev/null 2>&1; rm -rf '${dir}'`)
  t.teardown(async () => {
    if (running) await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {})
    running = false
    await rm(dir, { recursive: true, force: true })
    process.removeListener('exit', onExit)
    guard.cancel()
  })
  await prepare(dir)
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions'])
  const port = await freePort()
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`
  const start = async () => {
    running = true
    await asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', options, '-w', '-t', '30', 'start'])
  }
  const stop = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'])
    running = false
  }
  await start()
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, start, stop }
}
