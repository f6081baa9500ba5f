import t from 'tap'
import { buildEnvelope, buildItem, overallOf, RATE_LIMIT_GRACE_MS } from '../../src/aggregator/envelope.js'
import type { IntegrationStatus, StatusValue } from '../../src/schemas/integration-status.js'
import type { StatusEntry } from '../../src/aggregator/status-store.js'
import { PROVIDER_KEYS } from '../../adapters/index.js'

const NOW = Date.parse('2026-11-25T14:30:00.000Z')
const adapter = { key: 'github' as const, label: 'GitHub', actions: [{ id: 'push', label: 'Push', capability: 'push' as const }] }

function item (key: IntegrationStatus['key'], status: StatusValue, configured = true, visible = true): IntegrationStatus {
  return { key, label: key, status, configured, visible, updatedAt: new Date(NOW).toISOString() }
}

t.test('overall is the worst configured, visible status', async (t) => {
  const values: StatusValue[] = ['connected', 'warning', 'error', 'disconnected']
  // Every combination of two configured items: the order error > warning > connected > disconnected.
  for (const a of values) {
    for (const b of values) {
      const expected = [a, b].includes('error') ? 'error' : [a, b].includes('warning') ? 'warning' : [a, b].includes('connected') ? 'connected' : 'disconnected'
      t.equal(overallOf([item('github', a), item('vercel', b)]), expected, `${a} + ${b}`)
    }
  }
  t.equal(overallOf([]), 'disconnected', 'nothing configured')
  t.equal(overallOf([item('github', 'disconnected', false), item('vercel', 'disconnected', false)]), 'disconnected', 'none configured')
  t.equal(overallOf([item('github', 'connected'), item('vercel', 'disconnected', false)]), 'connected', 'unconfigured never degrades')
  t.equal(overallOf([item('github', 'connected'), item('vercel', 'error', true, false)]), 'connected', 'hidden items do not count')
})

t.test('hash ignores order and transient fields; renderHash follows updatedAt', async (t) => {
  const items = PROVIDER_KEYS.map((key) => item(key, 'connected'))
  const a = buildEnvelope('p', items, PROVIDER_KEYS)
  const b = buildEnvelope('p', [...items].reverse().map((i) => ({ ...Object.fromEntries(Object.entries(i).reverse()) }) as IntegrationStatus), PROVIDER_KEYS)
  t.same(b.items.map((i) => i.key), PROVIDER_KEYS, 'items come out in the stable order')
  t.equal(b.hash, a.hash, 'same inputs in another order, same hash')
  t.equal(b.renderHash, a.renderHash)
  const later = buildEnvelope('p', items.map((i) => ({ ...i, updatedAt: new Date(NOW + 5000).toISOString(), stale: true })), PROVIDER_KEYS)
  t.equal(later.hash, a.hash, 'updatedAt and stale do not change the hash')
  t.not(later.renderHash, a.renderHash, 'but they change renderHash')
  const changed = buildEnvelope('p', items.map((i) => (i.key === 'vercel' ? { ...i, status: 'warning' as const } : i)), PROVIDER_KEYS)
  t.not(changed.hash, a.hash, 'a status change changes the hash')
})

t.test('a rate-limited item keeps its status for two minutes, then turns amber', async (t) => {
  const entry = (since: number): StatusEntry => ({
    linkVersion: 'v',
    good: { result: { status: 'connected', summary: 'Linked to main · Last push 2m ago' }, at: NOW - 10_000 },
    failure: { code: 'rate_limited', retryAfter: 60, at: NOW, since },
    checkedAt: NOW,
    freshUntil: NOW + 60_000
  })
  const early = buildItem(adapter, { kind: 'checked', entry: entry(NOW - 1000), servedStale: false }, 'owner', NOW)
  t.equal(early.status, 'connected')
  t.equal(early.stale, true)
  t.same(early.problem && { code: early.problem.code, retryAfter: early.problem.retryAfter }, { code: 'rate_limited', retryAfter: 60 })
  const late = buildItem(adapter, { kind: 'checked', entry: entry(NOW - RATE_LIMIT_GRACE_MS - 1), servedStale: false }, 'owner', NOW)
  t.equal(late.status, 'warning', 'beyond two minutes of limiting')
})

t.test('viewers get generic hints, viewer summaries and no URLs', async (t) => {
  const entry: StatusEntry = {
    linkVersion: 'v',
    good: {
      result: {
        status: 'warning',
        summary: 'Linked to secret-branch · No push in 12 days',
        viewer: { summary: 'Private repo · No push in 12 days' },
        problem: { code: 'unknown', hint: 'Reconnect GitHub for acme/secret' },
        environments: [{ name: 'production', status: 'connected', url: 'https://secret.vercel.app' }]
      },
      at: NOW
    },
    checkedAt: NOW,
    freshUntil: NOW + 1000
  }
  const owner = buildItem(adapter, { kind: 'checked', entry, servedStale: false }, 'owner', NOW)
  const viewer = buildItem(adapter, { kind: 'checked', entry, servedStale: false }, 'viewer', NOW)
  t.match(JSON.stringify(owner), /secret/, 'owners see details')
  t.notMatch(JSON.stringify(viewer), /secret/, 'viewers see none of them')
  t.equal(viewer.summary, 'Private repo · No push in 12 days')
  t.same(viewer.actions, [{ id: 'push', label: 'Push', can: false, reason: 'Viewers can only view integrations' }])
  t.same(owner.actions, [{ id: 'push', label: 'Push', can: true }])
})
