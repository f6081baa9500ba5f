import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { armedFaultPoints, FAULT_POINTS } from '../../src/lib/fault-points.js'

const CHILD = fileURLToPath(new URL('./fixtures/fault-point-child.ts', import.meta.url))

/** Runs the child with this environment; resolves with how it ended and what it printed. */
function run (point: string, env: Record<string, string | undefined>) {
  const clean = { ...process.env }
  delete clean.FAULT_POINT
  delete clean.NODE_ENV
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, point], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  return new Promise<{ signal: NodeJS.Signals | null, code: number | null, out: string }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, out }))
  })
}

t.test('which points FAULT_POINT arms', async (t) => {
  t.same([...armedFaultPoints({})], [], 'unset: none')
  t.same([...armedFaultPoints({ FAULT_POINT: '' })], [], 'empty: none')
  t.same([...armedFaultPoints({ FAULT_POINT: 'after-key-claim' })], ['after-key-claim'])
  t.same([...armedFaultPoints({ FAULT_POINT: 'after-provider-call, after-key-claim' })].sort(), ['after-key-claim', 'after-provider-call'], 'a list')
  t.same([...armedFaultPoints({ FAULT_POINT: 'no-such-point' })], [], 'unknown names arm nothing')
  t.same([...armedFaultPoints({ FAULT_POINT: FAULT_POINTS.join(','), NODE_ENV: 'production' })], [], 'never in production')
})

t.test('an armed point SIGKILLs the process there, after saying where', async (t) => {
  const died = await run('after-key-claim', { FAULT_POINT: 'after-key-claim' })
  t.equal(died.signal, 'SIGKILL')
  t.notMatch(died.out, /survived/, 'nothing after the point ran')
  t.match(JSON.parse(died.out.trim()), { faultPoint: 'after-key-claim', level: 60 }, 'one log line naming the point')
})

t.test('inert when unset, for other points, and in production', async (t) => {
  for (const [what, env] of [
    ['unset', {}],
    ['another point armed', { FAULT_POINT: 'after-action-stored' }],
    ['NODE_ENV=production', { FAULT_POINT: 'after-key-claim', NODE_ENV: 'production' }]
  ] as const) {
    const lived = await run('after-key-claim', env)
    t.same({ code: lived.code, signal: lived.signal, out: lived.out }, { code: 0, signal: null, out: 'survived\n' }, what)
  }
})
