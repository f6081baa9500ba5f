import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { freePort, waitForPort } from '../support/free-port.js'

// src/scripts/simulator.ts: the provider simulator as its own process, as the compose file runs it
// (the Dockerfile's `simulator` target runs the same script compiled).

t.test('the standalone simulator answers its scenario tokens and stops on SIGTERM', async (t) => {
  const port = await freePort()
  const script = fileURLToPath(new URL('../../src/scripts/simulator.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, SIMULATOR_HOST: '127.0.0.1', SIMULATOR_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout.on('data', (chunk) => { out += chunk })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  t.teardown(() => { child.kill('SIGKILL') })
  await waitForPort(port, 'the simulator', 1200)

  const base = `http://127.0.0.1:${port}`
  const get = (path: string, token: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, 'x-github-api-version': '2022-11-28' } })
  const healthy = await get('/github/repos/acme/site', 'sim_healthy')
  t.equal(healthy.status, 200)
  t.match(await healthy.json(), { full_name: 'acme/site' })
  t.equal((await get('/github/repos/acme/site', 'sim_revoked')).status, 401, 'a revoked token, as GitHub answers it')
  t.equal((await get('/github/repos/acme/site', 'not-a-registered-token')).status, 401, 'any other token is refused')
  const failing = await get('/vercel/v6/deployments?projectId=prj_1', 'sim_production_failing')
  t.equal(failing.status, 200)
  t.match(await failing.json(), { deployments: [{ readyState: 'ERROR' }] }, 'the Vercel-only scenario is registered')
  t.equal((await fetch(`${base}/`)).status, 404, 'the root is a 404 (the compose healthcheck only needs an answer)')
  t.match(out, /github tokens: sim_healthy, /)
  t.match(out, /supabase tokens: .*sim_paused/)

  child.kill('SIGTERM')
  t.equal(await exited, 0, 'exits 0 on SIGTERM')
})

t.test('a bad SIMULATOR_PORT stops it with a message', async (t) => {
  const script = fileURLToPath(new URL('../../src/scripts/simulator.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, SIMULATOR_PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr.on('data', (chunk) => { err += chunk })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  t.equal(code, 78)
  t.match(err, /SIMULATOR_PORT must be a port number/)
})
