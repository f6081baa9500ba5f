import t from 'tap'
import { adapterHarness, FIXED_NOW } from './harness.js'
import { fingerprint } from '../simulator/simulator.js'
import type { ScenarioName, ScenarioOptions } from '../simulator/simulator.js'
import {
  createSanityAdapter, SANITY_COUNT_QUERY, SANITY_DATA_API_VERSION, SANITY_HOOKS_API_VERSION, type SanityLinkConfig
} from '../../adapters/sanity/status.js'
import { ProviderFailure } from '../../src/provider-kit/failure.js'
import type { CheckResult } from '../../src/provider-kit/manifest.js'
import type { ReadOnlyProviderHttp as ProviderHttp, ProviderResponse } from '../../src/provider-kit/http.js'

// Distinctive values, so a leak into a summary or hint cannot hide behind a common word.
const CONFIG: SanityLinkConfig = { projectId: 'zq7proj1', dataset: 'blogdata' }
const START_OF_DAY = '2026-11-25T00:00:00.000Z'

type Expected =
  | { result: CheckResult }
  | { failure: { code: ProviderFailure['code'], retryAfter?: number, status?: number } }

interface Case {
  name: string
  scenario?: ScenarioName
  options?: ScenarioOptions
  timeoutMs?: number
  expect: Expected
}

const LIVE = (docs: string): Expected => ({ result: { status: 'connected', summary: `${docs} updated today · Live sync` } })

const CASES: Case[] = [
  { name: 'healthy', scenario: 'healthy', expect: LIVE('5 docs') },
  { name: 'one doc', scenario: 'healthy', options: { docsUpdatedToday: 1 }, expect: LIVE('1 doc') },
  // Nothing edited today is not a broken link: the webhook still delivers.
  { name: 'stale', scenario: 'stale', expect: LIVE('0 docs') },
  {
    name: 'webhook disabled',
    scenario: 'webhook_disabled',
    expect: {
      result: {
        status: 'warning',
        summary: '5 docs updated today · Webhook disabled',
        problem: { code: 'webhook_disabled', hint: 'Enable the Sanity webhook for this dataset so content changes sync live' }
      }
    }
  },
  { name: 'revoked', scenario: 'revoked', expect: { failure: { code: 'oauth_revoked', status: 401 } } },
  { name: 'unregistered token', expect: { failure: { code: 'oauth_revoked', status: 401 } } },
  {
    name: 'missing scopes',
    scenario: 'missing_scopes',
    expect: {
      result: {
        status: 'warning',
        summary: '0 docs updated today · Webhook not readable',
        problem: { code: 'missing_permissions', hint: 'The Sanity token cannot read webhooks: reconnect with a token that has permission to read the project\'s webhooks' },
        suggestReconnect: true
      }
    }
  },
  { name: 'rate limited', scenario: 'rate_limited', options: { retryAfterSeconds: 7 }, expect: { failure: { code: 'rate_limited', retryAfter: 7, status: 429 } } },
  { name: 'server error (HTML 503)', scenario: 'server_error', expect: { failure: { code: 'unknown', status: 503 } } },
  { name: 'server error 502', scenario: 'server_error', options: { status: 502 }, expect: { failure: { code: 'unknown', status: 502 } } },
  { name: 'malformed JSON', scenario: 'malformed', expect: { failure: { code: 'unknown' } } },
  { name: 'endless body', scenario: 'endless', expect: { failure: { code: 'unknown' } } },
  { name: 'connection reset', scenario: 'reset', expect: { failure: { code: 'unknown' } } },
  { name: 'hanging', scenario: 'hanging', timeoutMs: 300, expect: { failure: { code: 'timeout' } } },
  { name: 'slow but in time', scenario: 'slow', options: { delayMs: 150 }, expect: LIVE('5 docs') }
]

t.test('sanity adapter against the simulator', async (t) => {
  const h = await adapterHarness(t)
  const adapter = createSanityAdapter({ apiUrl: h.sim.baseUrls.sanity, managementApiUrl: h.sim.baseUrls.sanityManagement })

  for (const c of CASES) {
    t.test(c.name, async (t) => {
      const token = `sk-sanity-${c.name.replace(/\W+/g, '-')}`
      if (c.scenario) h.sim.setScenario('sanity', token, c.scenario, c.options)
      const outcome = await h.run(adapter, CONFIG, { token }, c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs })

      if ('failure' in c.expect) {
        t.ok(outcome instanceof ProviderFailure, 'throws a ProviderFailure')
        t.match(outcome, c.expect.failure)
        t.notMatch((outcome as Error).message, token, 'the token stays out of log messages')
      } else {
        t.notOk(outcome instanceof ProviderFailure, 'answers a status')
        t.strictSame(outcome, c.expect.result)
        const shown = JSON.stringify(outcome)
        t.notMatch(shown, CONFIG.projectId, 'no project id for viewers to see')
        t.notMatch(shown, CONFIG.dataset, 'no dataset for viewers to see')
      }
    })
  }
})

t.test('asks Sanity exactly what the facts say', async (t) => {
  const h = await adapterHarness(t)
  const adapter = createSanityAdapter({ apiUrl: h.sim.baseUrls.sanity, managementApiUrl: h.sim.baseUrls.sanityManagement })
  h.sim.setScenario('sanity', 'sk-wire', 'healthy')
  t.equal(SANITY_DATA_API_VERSION, 'v2025-02-19')
  t.equal(SANITY_HOOKS_API_VERSION, 'v2021-10-04')

  t.match(await h.run(adapter, CONFIG, { token: 'sk-wire' }), { status: 'connected' })
  t.equal(h.sim.calls.length, 2, 'one query and one hooks listing')
  t.ok(h.sim.calls.every((c) => c.method === 'GET' && c.tokenFingerprint === fingerprint('sk-wire')), 'GETs with the bearer token')

  const query = h.sim.calls.find((c) => c.path.includes('/data/query/'))!
  t.equal(query.path, '/v2025-02-19/data/query/blogdata')
  t.ok(query.url.startsWith('/sanity/zq7proj1/'), 'the project id fills the data API host template')
  t.equal(query.query.query, SANITY_COUNT_QUERY)
  t.equal(query.query.$since, JSON.stringify(START_OF_DAY), 'a JSON-encoded string: quotes included')
  t.equal(query.query.$since, '"2026-11-25T00:00:00.000Z"')
  t.equal(query.query.perspective, 'raw', 'drafts count as activity')
  t.match(query.url, /[?&]%24since=%222026-11-25T00%3A00%3A00\.000Z%22(&|$)/, 'percent-encoded on the wire')

  const hooks = h.sim.calls.find((c) => c.path.includes('/hooks/'))!
  t.equal(hooks.path, '/v2021-10-04/hooks/projects/zq7proj1')
  t.ok(hooks.url.startsWith('/sanity-api/'), 'the hooks API lives on the global host')
})

/** An in-process ProviderHttp for shapes the simulator never produces. */
function stubHttp (answer: (url: URL) => Partial<ProviderResponse>) {
  const seen = { inFlight: 0, maxInFlight: 0 }
  const http: ProviderHttp = {
    async getJson (url) {
      seen.inFlight++
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight)
      await new Promise((resolve) => setImmediate(resolve))
      seen.inFlight--
      return { status: 200, headers: {}, body: undefined, ...answer(new URL(url)) }
    }
  }
  return { http, seen }
}

const HOOK = { type: 'document', dataset: '*', isDisabled: false, deletedAt: null }
const COUNT = { status: 200, body: { query: SANITY_COUNT_QUERY, result: 3, syncTags: [], ms: 1 } }

async function checkWith (query: Partial<ProviderResponse>, hooks: Partial<ProviderResponse>) {
  const adapter = createSanityAdapter({ apiUrl: 'http://{projectId}.data.test', managementApiUrl: 'http://api.test' })
  const stub = stubHttp((url) => url.pathname.includes('/hooks/') ? hooks : query)
  try {
    const result = await adapter.check({ projectId: 'p', config: CONFIG, credentials: { token: 'sk' }, signal: new AbortController().signal, now: FIXED_NOW, http: stub.http })
    return { outcome: result as CheckResult | ProviderFailure, seen: stub.seen }
  } catch (error) {
    if (error instanceof ProviderFailure) return { outcome: error, seen: stub.seen }
    throw error
  }
}

t.test('edge shapes and headers', async (t) => {
  const cases: { name: string, query?: Partial<ProviderResponse>, hooks?: Partial<ProviderResponse>, expect: object }[] = [
    { name: 'hook for another dataset only', hooks: { body: [{ ...HOOK, dataset: 'other' }] }, expect: { status: 'warning', summary: '3 docs updated today · No webhook' } },
    { name: 'deleted hook', hooks: { body: [{ ...HOOK, deletedAt: '2026-01-01T00:00:00Z' }] }, expect: { status: 'warning', summary: '3 docs updated today · No webhook' } },
    { name: 'no hooks at all', hooks: { body: [] }, expect: { status: 'warning', summary: '3 docs updated today · No webhook', problem: { code: 'webhook_missing' } } },
    { name: 'hook on the linked dataset', hooks: { body: [{ ...HOOK, dataset: 'blogdata' }] }, expect: { status: 'connected', summary: '3 docs updated today · Live sync' } },
    { name: 'one active among disabled', hooks: { body: [{ ...HOOK, isDisabled: true }, 'junk', null, HOOK] }, expect: { status: 'connected' } },
    { name: 'isDisabled missing is not active', hooks: { body: [{ dataset: '*', deletedAt: null }] }, expect: { status: 'warning', summary: '3 docs updated today · Webhook disabled' } },
    { name: 'query parse error', query: { status: 400, body: { error: { type: 'queryParseError', description: 'x' } } }, expect: { code: 'unknown', status: 400 } },
    { name: 'result not a number', query: { body: { result: '3' } }, expect: { code: 'unknown' } },
    { name: 'no body on 200', query: { body: undefined }, expect: { code: 'unknown' } },
    { name: 'hooks not a list', hooks: { body: { hooks: [] } }, expect: { code: 'unknown' } },
    { name: 'hooks 500', hooks: { status: 500 }, expect: { code: 'unknown', status: 500 } },
    { name: '401 on hooks alone', hooks: { status: 401 }, expect: { code: 'oauth_revoked' } },
    { name: '401 wins over a query error', query: { status: 400 }, hooks: { status: 401 }, expect: { code: 'oauth_revoked' } },
    { name: '429 without retry-after uses ratelimit-reset', query: { status: 429, headers: { 'ratelimit-reset': '12' } }, expect: { code: 'rate_limited', retryAfter: 12 } },
    { name: '429 with an HTTP-date retry-after', hooks: { status: 429, headers: { 'retry-after': new Date(FIXED_NOW + 30_000).toUTCString() } }, expect: { code: 'rate_limited', retryAfter: 30 } },
    { name: '429 without headers', hooks: { status: 429 }, expect: { code: 'rate_limited', retryAfter: 60 } }
  ]
  for (const c of cases) {
    const { outcome } = await checkWith(c.query ?? COUNT, c.hooks ?? { body: [HOOK] })
    t.match(outcome, c.expect, c.name)
    if ('code' in c.expect) t.ok(outcome instanceof ProviderFailure, `${c.name}: a failure`)
  }
})

t.test('query and hooks listing run in parallel', async (t) => {
  const { seen } = await checkWith(COUNT, { body: [HOOK] })
  t.equal(seen.maxInFlight, 2)
})

t.test('actions and identity', async (t) => {
  const adapter = createSanityAdapter({ apiUrl: 'http://{projectId}.x', managementApiUrl: 'http://y' })
  t.equal(adapter.key, 'sanity')
  t.equal(adapter.label, 'Sanity')
  t.strictSame(adapter.actions, [
    { id: 'sync', label: 'Sync content', capability: 'content_sync' },
    { id: 'open-studio', label: 'Open Studio', capability: 'configure' },
    { id: 'disconnect', label: 'Disconnect', capability: 'connect' }
  ])
})
