import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url))

/** What the harness needs of its owner: somewhere to register clean-up. A tap Test is one. */
export interface Owner {
  teardown (fn: () => unknown): void
}

export interface Instance {
  /** Stays the same across restarts: the instance comes back on its port, as behind a supervisor. */
  url: string
  /** The current process (a new one after each restart). */
  process: ChildProcess
  /** Everything it logged, one JSON line each, across restarts. */
  logs: string[]
  /** How many times it was started (1 before any restart). */
  starts: number
  readonly running: boolean
  /** SIGKILL: no shutdown hooks, open sockets simply die. */
  kill(): Promise<void>
  /** SIGTERM: the graceful shutdown. */
  stop(): Promise<void>
  /**
   * Starts it again on the same port with the same environment (stopping it gracefully first if
   * it runs); `env` changes that environment from now on (e.g. arms another FAULT_POINT).
   */
  restart(env?: Record<string, string | undefined>): Promise<void>
}

interface Started { child: ChildProcess, url: string, exited: Promise<void> }

/**
 * The real service in its own process (src/server.ts, as production runs it), on a loopback port,
 * so a test can kill it the way a crash would and start it again. Killed at the owner's teardown
 * whatever happens.
 */
export async function startInstance (owner: Owner, initialEnv: Record<string, string | undefined>): Promise<Instance> {
  let env = initialEnv
  const logs: string[] = []
  let current = await spawnServer({ ...env, PORT: '0' }, logs)
  const port = new URL(current.url).port
  const stopWith = async (signal: NodeJS.Signals) => {
    const { child, exited } = current
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  owner.teardown(() => stopWith('SIGKILL'))
  const instance: Instance = {
    url: current.url,
    process: current.child,
    logs,
    starts: 1,
    get running () { return current.child.exitCode === null && current.child.signalCode === null },
    kill: () => stopWith('SIGKILL'),
    stop: () => stopWith('SIGTERM'),
    async restart (changes = {}) {
      env = { ...env, ...changes }
      await stopWith('SIGTERM')
      // The port is free once the process is gone, unless an outgoing connection happened to take
      // it as its local port in between: rare, and over in a moment.
      for (let attempt = 1; ; attempt++) {
        try {
          current = await spawnServer({ ...env, PORT: port }, logs)
          break
        } catch (error) {
          if (attempt === 20 || !/EADDRINUSE/.test(String((error as Error).message) + logs.slice(-3).join(''))) throw error
          await sleep(250)
        }
      }
      instance.process = current.child
      instance.starts++
    }
  }
  return instance
}

/** Spawns src/server.ts and waits for its "Server listening" log line. */
async function spawnServer (env: Record<string, string | undefined>, logs: string[]): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { ...process.env, ...env, HOST: '127.0.0.1', LOG_LEVEL: env.LOG_LEVEL ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = await new Promise<string>((resolve, reject) => {
    let pending = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        logs.push(line)
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
        if (match) resolve(match[1]!)
      }
    })
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      // What the process says on stderr after it started (e.g. a forced exit) is kept too.
      logs.push(...chunk.toString().split('\n').filter(Boolean).map((line) => `stderr: ${line}`))
    })
    child.once('exit', (code) => reject(new Error(`instance exited (${code}) before listening: ${stderr.slice(-2000)}`)))
  })
  return { child, url, exited }
}
