import t from 'tap'
import { createResilience, type BreakerTransition } from '../../src/aggregator/resilience.js'
import { ProviderFailure } from '../../src/provider-kit/failure.js'

function policies (failures = 2) {
  const transitions: BreakerTransition[] = []
  const resilience = createResilience({ timeoutMs: 100, failures, halfOpenMs: 60_000, onTransition: (tr) => transitions.push(tr) })
  return { resilience, transitions }
}

t.test('a check that ignores its signal still ends, as a timeout', async (t) => {
  const { resilience } = policies()
  const never = () => new Promise<string>(() => {})
  const error = await resilience.execute('github', 'p', null, never).catch((e: unknown) => e)
  t.ok(error instanceof ProviderFailure)
  t.equal((error as ProviderFailure).code, 'timeout')
})

t.test('a check that honours its signal reports what it saw', async (t) => {
  const { resilience } = policies()
  const halfAnswered = (signal: AbortSignal) => new Promise<string>((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(new ProviderFailure('unknown', 'body never ended')))
  })
  const error = await resilience.execute('github', 'p', null, halfAnswered).catch((e: unknown) => e)
  t.equal((error as ProviderFailure).code, 'unknown', 'not relabelled as a timeout')
})

t.test('connection-level failures are retried once; findings and revocations are not', async (t) => {
  const { resilience } = policies(10)
  let calls = 0
  const flaky = async () => {
    if (++calls === 1) throw new ProviderFailure('unknown', 'ECONNRESET')
    return 'ok'
  }
  t.equal(await resilience.execute('vercel', 'p', null, flaky), 'ok')
  t.equal(calls, 2, 'one retry')
  calls = 0
  const revoked = async () => { calls++; throw new ProviderFailure('oauth_revoked', '401', { status: 401 }) }
  await t.rejects(resilience.execute('vercel', 'p', null, revoked), { code: 'oauth_revoked' })
  t.equal(calls, 1, 'never retried')
})

t.test('timeouts and provider errors open the circuit; revocations and rate limits do not', async (t) => {
  const { resilience, transitions } = policies(2)
  const limited = async () => { throw new ProviderFailure('rate_limited', '429', { retryAfter: 5 }) }
  for (let i = 0; i < 5; i++) await resilience.execute('sanity', 'p1', null, limited).catch(() => {})
  t.equal(resilience.state('sanity', 'p1'), 'closed', 'rate limits are the backoff\'s business')

  const slow = () => new Promise<string>(() => {})
  await resilience.execute('sanity', 'p2', null, slow).catch(() => {})
  await resilience.execute('sanity', 'p2', null, slow).catch(() => {})
  t.equal(resilience.state('sanity', 'p2'), 'open', 'two timeouts open it (cockatiel\'s own isTaskCancelledError would miss them)')
  t.equal(resilience.state('sanity', 'p1'), 'closed', 'one circuit per project')
  const open = await resilience.execute('sanity', 'p2', null, async () => 'ok').catch((e: unknown) => e)
  t.match(open, { code: 'unknown', circuitOpen: true }, 'an open circuit fails fast, flagged')
  t.match(transitions, [{ provider: 'sanity', projectId: 'p2', state: 'open', persisted: { state: 'open' } }])
  t.same(Object.fromEntries(resilience.openCounts()), { sanity: 1 })

  // A circuit rebuilt from its persisted snapshot (a restart) is still open.
  const again = policies(2)
  const restored = await again.resilience.execute('sanity', 'p2', transitions[0]!.persisted, async () => 'ok').catch((e: unknown) => e)
  t.match(restored, { circuitOpen: true }, 'restored open from circuit_breaker_state')
})
