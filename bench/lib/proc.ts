import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/**
 * Starts the bench's processes: `node --import tsx <script>`, pinned to a CPU with taskset when
 * it exists, in its own process group, with a stdin pipe the child watches (bench/lib/child.ts)
 * so it exits when its parent dies, even by SIGKILL. Every child is tracked and stopped on
 * exit, on SIGINT/SIGTERM and on failure: no orphans.
 */

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')
export const OUT_DIR = join(BENCH_DIR, '.out')
export const LOG_DIR = join(OUT_DIR, 'logs')

export const HAS_TASKSET = spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0

export interface LaunchOptions {
  /** CPU list for taskset (`0`, `1`, `0-1`); undefined = not pinned. */
  cpu?: string | undefined
  env?: Record<string, string | undefined>
  /** Seconds to wait for the READY line. */
  readyTimeoutS?: number
  /** Extra CLI arguments after the script. */
  args?: string[]
}

export interface Launched {
  name: string
  pid: number
  /** The JSON after `READY ` on the child's stdout. */
  ready: Promise<unknown>
  /** Resolves with the JSON after `RESULT `, once the child exits 0 having printed it. */
  result: Promise<unknown>
  /** Each other stdout line that starts with a word in capitals (`STARTED …`) is passed here. */
  onLine (listener: (line: string) => void): void
  /** The last stderr lines, for error messages. */
  tail (): string
  logFile: string
  stop (): Promise<void>
}

const live = new Set<{ child: ChildProcess, stop: () => Promise<void> }>()

export class ChildFailed extends Error {
  override name = 'ChildFailed'
}

export function launch (name: string, script: string, options: LaunchOptions = {}): Launched {
  mkdirSync(LOG_DIR, { recursive: true })
  const logFile = join(LOG_DIR, `${name}.log`)
  const log = createWriteStream(logFile, { flags: 'a' })
  log.write(`\n--- ${new Date().toISOString()} ${name}: ${script} ${(options.args ?? []).join(' ')}\n`)
  const node = [process.execPath, '--import', 'tsx', join(BENCH_DIR, script), ...(options.args ?? [])]
  const [command, ...args] = options.cpu !== undefined && HAS_TASKSET ? ['taskset', '-c', options.cpu, ...node] : node
  const child = spawn(command!, args, {
    cwd: join(BENCH_DIR, '..'),
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own group: a terminal's Ctrl-C reaches only the orchestrator, which stops children in order.
    detached: true
  })
  const tailLines: string[] = []
  const listeners: Array<(line: string) => void> = []
  let resultPayload: unknown
  let sawResult = false

  let resolveReady!: (value: unknown) => void
  let rejectReady!: (error: Error) => void
  const ready = new Promise<unknown>((resolve, reject) => { resolveReady = resolve; rejectReady = reject })
  ready.catch(() => {})
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      log.write(`--- exit code=${code} signal=${signal}\n`)
      resolve(code)
    })
    child.once('error', (error) => {
      log.write(`--- spawn error ${error.message}\n`)
      resolve(-1)
    })
  })

  child.stderr!.on('data', (chunk: Buffer) => {
    log.write(chunk)
    for (const line of String(chunk).split('\n')) {
      if (!line) continue
      tailLines.push(line)
      if (tailLines.length > 40) tailLines.shift()
    }
  })
  createInterface({ input: child.stdout! }).on('line', (line) => {
    log.write(`[stdout] ${line.length > 400 ? line.slice(0, 400) + '…' : line}\n`)
    const match = /^([A-Z]+) ?(.*)$/.exec(line)
    if (!match) return
    const [, kind, rest] = match
    try {
      if (kind === 'READY') resolveReady(rest ? JSON.parse(rest) : null)
      else if (kind === 'RESULT') { resultPayload = JSON.parse(rest!); sawResult = true } else for (const l of listeners) l(line)
    } catch (error) {
      rejectReady(new ChildFailed(`${name}: unparsable ${kind} line: ${(error as Error).message}`))
    }
  })
  // A child with a closed stdin has lost its parent; an EPIPE on writing here is harmless.
  child.stdin!.on('error', () => {})

  const timeoutS = options.readyTimeoutS ?? 180
  const readyTimer = setTimeout(() => rejectReady(new ChildFailed(`${name}: no READY line within ${timeoutS} s\n${tail()}`)), timeoutS * 1000)
  readyTimer.unref()
  ready.finally(() => clearTimeout(readyTimer)).catch(() => {})

  const result = exited.then((code) => {
    if (code === 0 && sawResult) return resultPayload
    throw new ChildFailed(`${name} exited with code ${code}${sawResult ? '' : ' without a RESULT line'}\n${tail()}`)
  })
  result.catch(() => {})
  exited.then((code) => rejectReady(new ChildFailed(`${name} exited (code ${code}) before READY\n${tail()}`)))

  function tail () {
    return tailLines.map((l) => `  | ${l}`).join('\n') + `\n  (full log: ${logFile})`
  }

  let stopping: Promise<void> | undefined
  const entry = {
    child,
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          signalGroup(child, 'SIGTERM')
          const killTimer = setTimeout(() => signalGroup(child, 'SIGKILL'), 15_000)
          await exited
          clearTimeout(killTimer)
        }
        child.stdin!.destroy()
        live.delete(entry)
        await new Promise<void>((resolve) => log.end(resolve))
      })()
      return stopping
    }
  }
  live.add(entry)
  exited.then(() => live.delete(entry))

  return {
    name,
    pid: child.pid ?? -1,
    ready,
    result,
    onLine: (listener) => { listeners.push(listener) },
    tail,
    logFile,
    stop: entry.stop
  }
}

function signalGroup (child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined) return
  try {
    // The whole group: the child and anything it started that did not set up its own.
    process.kill(-child.pid, signal)
  } catch {
    try { child.kill(signal) } catch {}
  }
}

/** Stops every child still running, in parallel. */
export async function stopAll () {
  await Promise.all([...live].map((entry) => entry.stop()))
}

let installed = false
let interrupted = false
/** True once SIGINT/SIGTERM/SIGHUP arrived: failures after it are the stop, not a broken harness. */
export const wasInterrupted = () => interrupted

/**
 * SIGINT/SIGTERM stop every child, run `cleanup`, then exit 130/143; a plain exit SIGKILLs
 * whatever is left (synchronously, as the exit handler must).
 */
export function installSignalHandlers (cleanup: () => Promise<void> = async () => {}) {
  if (installed) return
  installed = true
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return
    interrupted = true
    process.stderr.write(`\nbench: ${signal}, stopping child processes…\n`)
    const code = signal === 'SIGINT' ? 130 : 143
    Promise.race([
      Promise.all([stopAll(), cleanup()]),
      new Promise((resolve) => setTimeout(resolve, 20_000).unref())
    ]).finally(() => process.exit(code))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('SIGHUP', onSignal)
  process.on('exit', () => {
    for (const { child } of live) signalGroup(child, 'SIGKILL')
  })
}
