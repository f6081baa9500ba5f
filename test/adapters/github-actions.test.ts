import t from 'tap'
import { actionHarness, executor } from './actions-harness.js'
import { createGithubExecutors, GITHUB_DISCONNECT_NOTE } from '../../adapters/github/actions.js'
import { createGithubAdapter } from '../../adapters/github/status.js'

const LINK = { config: { owner: 'acme-corp', repo: 'secret-app', branch: 'main' }, credentials: { token: 'gho_linked' } }
const executors = createGithubExecutors()

t.test('one executor per catalog action, with the brief\'s modes', async (t) => {
  const adapter = createGithubAdapter({ apiUrl: 'http://127.0.0.1:9/github' })
  t.strictSame(adapter.executors?.map((e) => e.id), adapter.actions.map((a) => a.id), 'executors follow the catalog')
  t.strictSame(executors.map(({ id, mode, retryable, needsLink }) => ({ id, mode, retryable, needsLink })), [
    { id: 'push', mode: 'host', retryable: false, needsLink: true },
    { id: 'pull', mode: 'host', retryable: false, needsLink: true },
    { id: 'sync', mode: 'inline', retryable: true, needsLink: true },
    { id: 'disconnect', mode: 'inline', retryable: true, needsLink: false }
  ])
  for (const id of ['push', 'pull']) {
    t.equal(executor(executors, id).run, undefined, `${id} has no run: the host workspace does the git work`)
  }
  for (const id of ['sync', 'disconnect']) {
    t.type(executor(executors, id).run, 'function', `${id} runs inline`)
  }
})

t.test('sync re-checks the status and calls nobody itself', async (t) => {
  const h = await actionHarness(t, 'github')
  const outcome = await h.run(executor(executors, 'sync'), { link: LINK })
  t.strictSame(outcome.result, { refreshed: true })
  t.equal(outcome.recorded.refreshes, 1, 'refreshStatus ran once')
  t.equal(outcome.recorded.unlinks, 0)
  t.equal(h.sim.callCount(), 0, 'the refresh is the status check\'s business, not the executor\'s')
})

t.test('sync fails when the refresh fails', async (t) => {
  const h = await actionHarness(t, 'github')
  await t.rejects(h.run(executor(executors, 'sync'), { link: LINK, refreshStatus: async () => { throw new Error('check exploded') } }),
    { message: 'check exploded' })
})

t.test('sync without a link is not_linked', async (t) => {
  const h = await actionHarness(t, 'github')
  const outcome = await h.run(executor(executors, 'sync'), { link: null })
  t.match(outcome.failure, { code: 'not_linked', message: /GitHub is not linked/ })
  t.equal(outcome.recorded.refreshes, 0)
})

t.test('disconnect without our OAuth app unlinks and says plainly that the token was not revoked', async (t) => {
  const h = await actionHarness(t, 'github')
  const outcome = await h.run(executor(executors, 'disconnect'), { link: LINK })
  t.strictSame(outcome.result, { unlinked: true, revokedAtProvider: false, note: GITHUB_DISCONNECT_NOTE })
  t.equal(outcome.recorded.unlinks, 1)
  t.match(GITHUB_DISCONNECT_NOTE, /not issued through this service's GitHub OAuth app/)
  t.notMatch(GITHUB_DISCONNECT_NOTE, 'gho_linked')
  t.equal(h.sim.callCount(), 0, 'GitHub is not called')

  const again = await h.run(executor(executors, 'disconnect'), { link: null })
  t.strictSame(again.result, outcome.result, 'a retry after the link is gone still succeeds')
})

t.test('check: sync and disconnect take no parameters', async (t) => {
  for (const id of ['sync', 'disconnect']) {
    const check = executor(executors, id).check!
    t.equal(check({}, 'owner'), undefined, `${id} accepts no params`)
    t.equal(check({ force: true }, 'owner'), `${id} takes no parameters (got force)`)
  }
})
