import childProcess from 'node:child_process'
import net from 'node:net'

/** A loopback port nobody listens on right now (the OS picks it; closed before it is returned). */
export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Resolves when something accepts TCP connections on the port, or throws after `attempts` tries. */
export async function waitForPort (port: number, what: string, attempts = 200) {
  for (let i = 0; i < attempts; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => { socket.destroy(); resolve(false) })
    })
    if (open) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${what} never listened on port ${port}`)
}

/**
 * Runs `cleanup` (a shell command) if this process dies without its teardown (tap's timeout kills
 * the test process): a detached shell waits for our pid to disappear. `cancel()` once the teardown
 * has done the work itself.
 */
export function watchdog (cleanup: string): { cancel(): void } {
  const { spawn } = childProcess
  const child = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${cleanup}`], { detached: true, stdio: 'ignore' })
  child.unref()
  return { cancel: () => { if (child.exitCode === null) child.kill('SIGKILL') } }
}
