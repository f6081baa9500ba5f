import t from 'tap'
import { Registry } from 'prom-client'
import { createSnapshotCache } from '../../src/aggregator/snapshot-cache.js'

interface Value { until: number, clockUntil: number, body: string }

const forever = (body: string): Value => ({ until: Infinity, clockUntil: Infinity, body })

function cache (maxEntries: number, clock = () => 0) {
  const registry = new Registry()
  const snapshots = createSnapshotCache<Value>({ maxEntries, clock, registry })
  const builds = async () => (await registry.getSingleMetric('status_snapshot_builds_total')!.get()).values.reduce((sum, v) => sum + v.value, 0)
  return { snapshots, builds }
}

t.test('bounded: least recently used projects leave first, the size never passes the maximum', async (t) => {
  const { snapshots } = cache(3)
  for (let i = 0; i < 3; i++) await snapshots.build(`p${i}`, 'owner', async () => forever(`p${i}`))
  t.ok(snapshots.get('p0', 'owner'), 'p0 used: now the most recent')
  await snapshots.build('p3', 'owner', async () => forever('p3'))
  t.equal(snapshots.size(), 3)
  t.equal(snapshots.get('p1', 'owner'), undefined, 'p1 was the least recently used')
  t.ok(snapshots.get('p0', 'owner'))
  for (let i = 4; i < 1000; i++) await snapshots.build(`p${i}`, 'viewer', async () => forever(`p${i}`))
  t.equal(snapshots.size(), 3, 'flat once full')
})

t.test('one project with more views than the maximum stays within it', async (t) => {
  const { snapshots } = cache(2)
  for (const role of ['owner', 'admin', 'editor', 'viewer']) await snapshots.build('p', role, async () => forever(role))
  t.equal(snapshots.size(), 2)
  t.ok(snapshots.get('p', 'viewer'))
})

t.test('expiry on both clocks', async (t) => {
  let clock = 0
  const { snapshots } = cache(10, () => clock)
  await snapshots.build('p', 'owner', async () => ({ until: Infinity, clockUntil: 100, body: 'x' }))
  t.ok(snapshots.get('p', 'owner'))
  clock = 100
  t.equal(snapshots.get('p', 'owner'), undefined, 'the aggregator clock reached clockUntil')
  await snapshots.build('p', 'owner', async () => ({ until: performance.now() - 1, clockUntil: Infinity, body: 'x' }))
  t.equal(snapshots.get('p', 'owner'), undefined, 'not kept: already past until')
  t.equal(snapshots.size(), 0)
})

t.test('single flight; an invalidation during a build keeps its result from being kept', async (t) => {
  const { snapshots, builds } = cache(10)
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  let made = 0
  // Each build's value names the build, fixed before it waits on the gate.
  const make = async () => { const n = ++made; await gate; return forever(`v${n}`) }
  const waiting = Array.from({ length: 50 }, () => snapshots.build('p', 'owner', make))
  t.equal(made, 1)
  snapshots.invalidate('p')
  const after = snapshots.build('p', 'owner', make)
  t.equal(made, 2, 'a request after the invalidation starts its own build')
  release()
  const values = await Promise.all(waiting)
  t.ok(values.every((value) => value.body === 'v1'), 'the requests that joined the first build get its answer')
  t.equal((await after).body, 'v2')
  t.equal(snapshots.get('p', 'owner')?.body, 'v2', 'only the build begun after the invalidation is kept')
  t.equal(await builds(), 2)
  const failing = await snapshots.build('q', 'owner', async () => { throw new Error('down') }).catch((error: Error) => error.message)
  t.equal(failing, 'down')
  t.equal(snapshots.get('q', 'owner'), undefined)
})
