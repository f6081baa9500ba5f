import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url))

export interface Instance {
  url: string
  process: ChildProcess
  /** Everything it logged, one JSON line each. */
  logs: string[]
  /** SIGKILL: no shutdown hooks, open sockets simply die. */
  kill(): Promise<void>
  /** SIGTERM: the graceful shutdown. */
  stop(): Promise<void>
}

/**
 * The real service in its own process (src/server.ts, as production runs it), on a free loopback
 * port, so a test can kill it the way a crash would. Stopped at the end of the test whatever happens.
 */
export async function startInstance (t: Test, env: Record<string, string | undefined>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: env.LOG_LEVEL ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const logs: string[] = []
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  t.teardown(() => stopWith('SIGKILL'))
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
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.once('exit', (code) => reject(new Error(`instance exited (${code}) before listening: ${stderr.slice(-2000)}`)))
  })
  return { url, process: child, logs, kill: () => stopWith('SIGKILL'), stop: () => stopWith('SIGTERM') }
}
