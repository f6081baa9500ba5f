import t from 'tap'
import { mkdirSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { statusApp, type StatusApp } from '../support/status-app.js'
import { browserProblem, launchBrowser, signedIn } from '../support/browser.js'
import { eventually } from '../support/events.js'
import { ARTIFACTS } from '../support/visual.js'
import { DEMO_LINKS } from '../../src/scripts/demo-project.js'
import type { StatusEnvelope } from '../../src/schemas/integration-status.js'

const skip = browserProblem()
const bar = (page: Page, provider: string) => page.locator(`integration-status-bar .item[data-provider="${provider}"]`)
const clientState = (page: Page, projectId: string) => page.evaluate(async (projectId) => {
  const { statusClientFor } = await import('/ui/status-client.js' as string)
  const { state, debug } = statusClientFor({ projectId })
  return { leader: state.leader as boolean, connection: state.connection as string, lastEventId: state.lastEventId as number | undefined, debug: debug as Array<{ type: string, delay?: number }> }
}, projectId)

async function linkAll (s: StatusApp, projectId: string) {
  const tokens: Record<string, string> = {}
  for (const link of DEMO_LINKS) tokens[link.provider] = await s.link(projectId, link.provider, link.scenario, { config: link.config, ...link.options })
  return tokens
}

t.test('in Chromium', { skip }, async (t) => {
  const browser = await launchBrowser(t)

  t.test('two tabs share one stream; when the leader closes, the other takes over and gets the next event', async (t) => {
    const s = await statusApp(t, { listen: true })
    const projectId = 'p_tabs'
    const token = await s.link(projectId, 'github')
    const context = await signedIn(t, browser, s, 'owner', projectId)
    const pages = [await context.newPage(), await context.newPage()]
    for (const page of pages) await page.goto(`${s.url}/ui/demo.html?projectId=${projectId}`)
    for (const page of pages) await bar(page, 'github').and(page.locator('[data-status="connected"]')).waitFor()
    await eventually(async () => (await Promise.all(pages.map((p) => clientState(p, projectId)))).some((c) => c.connection === 'streaming'), 'the leader streams')
    const states = await Promise.all(pages.map((page) => clientState(page, projectId)))
    t.same(states.map((state) => state.leader).sort(), [false, true], 'one leader, one follower')
    t.equal(s.app.events.openStreams(), 1, 'exactly one stream open at the server for two tabs')

    const leader = pages[states.findIndex((state) => state.leader)]!
    const follower = pages[states.findIndex((state) => !state.leader)]!
    await leader.close()
    await eventually(async () => (await clientState(follower, projectId)).connection === 'streaming' && (await clientState(follower, projectId)).leader, 'the follower took over')
    await eventually(() => s.app.events.openStreams() === 1, 'the old stream closed, the new one open')

    s.sim.setScenario('github', token, 'revoked')
    await s.app.aggregator.refreshProject(projectId)
    await bar(follower, 'github').and(follower.locator('[data-status="error"]')).waitFor()
    t.match(await follower.locator('integration-status-bar [role="status"]').textContent(), /GitHub is now Error/, 'announced through the aria-live region')
  })

  t.test('the events endpoint failing: backoff, then polling with If-None-Match, then streaming again', async (t) => {
    const s = await statusApp(t, { listen: true })
    const projectId = 'p_backoff'
    await s.link(projectId, 'github')
    const context = await signedIn(t, browser, s, 'viewer', projectId)
    const page = await context.newPage()
    let failing = true
    await page.route('**/api/integrations/events**', (route) => (failing ? route.fulfill({ status: 503, contentType: 'application/json', body: '{}' }) : route.continue()))
    const conditional: string[] = []
    page.on('request', (request) => {
      if (request.url().includes('/api/integrations/status') && request.headers()['if-none-match']) conditional.push(request.headers()['if-none-match']!)
    })
    // Any page of the origin will do; the client is created with a fast schedule (timers injectable).
    await page.goto(`${s.url}/ui/status-client.js`)
    await page.evaluate(async (projectId) => {
      const { statusClientFor } = await import('/ui/status-client.js' as string)
      statusClientFor({ projectId, backoffMs: [10, 20, 50, 100, 300, 600], pollMs: 100 }).subscribe(() => {})
    }, projectId)
    await eventually(async () => (await clientState(page, projectId)).debug.filter((d) => d.type === 'poll').length >= 3, 'polling')
    const before = await clientState(page, projectId)
    const delays = before.debug.filter((d) => d.type === 'reconnect-scheduled').map((d) => d.delay)
    t.same(delays.slice(0, 7), [10, 20, 50, 100, 300, 600, 600], '1 s, 2 s, 5 s, 10 s, 30 s, 60 s (scaled), then the cap')
    const types = before.debug.map((d) => d.type)
    t.ok(types.indexOf('poll-start') > types.lastIndexOf('reconnect-scheduled') - 1, 'polling starts once the schedule is used up')
    t.equal(before.connection, 'polling')
    t.ok(conditional.length >= 2 && conditional.every((tag) => tag.startsWith('W/"')), 'polls send If-None-Match')

    failing = false
    await eventually(async () => (await clientState(page, projectId)).connection === 'streaming', 'the stream is back')
    const after = await clientState(page, projectId)
    const afterTypes = after.debug.map((d) => d.type)
    t.ok(afterTypes.lastIndexOf('poll-stop') > afterTypes.lastIndexOf('poll-start'), 'polling stopped')
    t.ok(afterTypes.lastIndexOf('poll-stop') >= afterTypes.lastIndexOf('stream-ready') - 1, 'when the stream came back')
    t.equal(s.app.events.openStreams(), 1)
  })

  t.test('staleness: a clock badge after 90 s, an amber dot with a tooltip after 5 minutes', async (t) => {
    const s = await statusApp(t, { listen: true })
    const projectId = 'p_stale'
    await s.link(projectId, 'github')
    await s.status(projectId) // checked once, so the page gets a real updatedAt
    const context = await signedIn(t, browser, s, 'owner', projectId)
    const page = await context.newPage()
    await page.clock.install({ time: Date.now() })
    await page.goto(`${s.url}/ui/demo.html?projectId=${projectId}`)
    const github = bar(page, 'github')
    await github.and(page.locator('[data-stale="fresh"]')).waitFor()
    await page.clock.fastForward(85_000)
    t.equal(await github.getAttribute('data-stale'), 'fresh', 'at 85 s: nothing')
    await page.clock.fastForward(7_000)
    await github.and(page.locator('[data-stale="badge"]')).waitFor()
    t.match(await github.locator('.stale').getAttribute('aria-label'), /Last known status, updated \d+ minutes? ago/, 'after 90 s: the clock badge')
    await page.clock.fastForward(210_000)
    await github.and(page.locator('[data-stale="amber"]')).waitFor()
    t.match(await github.locator('.stale[data-stale="amber"]').getAttribute('title'), /Not updated for a while: last updated \d+ minutes ago · /, 'after 5 min: amber, with the exact time in a tooltip')
    t.match(await github.locator('.stale[data-stale="amber"]').textContent(), /\d+ minutes ago/, 'and the age as visible text, not colour alone')
  })

  t.test('a viewer sees disabled buttons with the reasons; an editor runs an action and sees it through', async (t) => {
    const s = await statusApp(t, { listen: true })
    const projectId = 'p_roles_ui'
    await s.link(projectId, 'github')
    const viewer = await (await signedIn(t, browser, s, 'viewer', projectId)).newPage()
    await viewer.goto(`${s.url}/ui/demo.html?projectId=${projectId}`)
    const sync = viewer.locator('integration-status-bar button[data-provider="github"][data-action="sync"]')
    await sync.waitFor()
    const expected = (await s.status(projectId, 'viewer')).json<StatusEnvelope>().items[0]!.actions!.find((a) => a.id === 'sync')!
    t.equal(expected.can, false)
    t.ok(await sync.isDisabled(), 'disabled for a viewer')
    t.equal(await sync.getAttribute('title'), expected.reason, 'with the status\'s reason as tooltip')

    const editor = await (await signedIn(t, browser, s, 'editor', projectId)).newPage()
    await editor.goto(`${s.url}/ui/demo.html?projectId=${projectId}`)
    const run = editor.locator('integration-status-bar button[data-provider="github"][data-action="sync"]')
    await run.waitFor()
    t.notOk(await run.isDisabled())
    // By keyboard: focus and Enter.
    await run.focus()
    await editor.keyboard.press('Enter')
    const progress = editor.locator('integration-status-bar [data-progress="github"]')
    await progress.filter({ hasText: 'done' }).waitFor()
    t.match(await progress.textContent(), /Sync: done/)
    t.equal(await progress.getAttribute('data-state'), 'succeeded')
    t.match(await editor.locator('integration-status-bar [role="status"]').textContent(), /GitHub: Sync done/, 'the outcome is announced')
    const actions = await s.app.inject({ url: `/api/integrations/actions?projectId=${projectId}`, headers: s.as('viewer', projectId) })
    t.match(actions.json().items, [{ action: 'sync', status: 'succeeded' }], 'the action ran once, at the service')
  })

  t.test('a project outside the rollout renders nothing and opens no stream', async (t) => {
    const s = await statusApp(t, { listen: true })
    const projectId = 'p_not_yet'
    await s.link(projectId, 'github')
    const off = await s.app.inject({ method: 'PUT', url: `/api/integrations/rollout/projects/${projectId}`, headers: s.as('admin', projectId), payload: { enabled: false } })
    t.equal(off.statusCode, 201)
    const page = await (await signedIn(t, browser, s, 'owner', projectId)).newPage()
    const streams: string[] = []
    page.on('request', (request) => { if (request.url().includes('/api/integrations/events')) streams.push(request.url()) })
    await page.goto(`${s.url}/ui/demo.html?projectId=${projectId}`)
    await eventually(async () => (await clientState(page, projectId)).connection === 'disabled', 'the client reads the rollout')
    t.ok(await page.locator('integration-status-bar').isHidden(), 'the status bar renders nothing')
    t.ok(await page.locator('integration-settings').isHidden(), 'nor does the settings tab')
    t.same(streams, [], 'no stream was requested')
    t.equal(s.app.events.openStreams(), 0)
  })

  t.test('the demo page, kept as a screenshot', async (t) => {
    const s = await statusApp(t, { listen: true })
    const projectId = 'p_demo'
    await linkAll(s, projectId)
    const page = await (await signedIn(t, browser, s, 'owner', projectId)).newPage()
    await page.goto(`${s.url}/ui/demo.html?projectId=${projectId}`)
    for (const { provider } of DEMO_LINKS) {
      await bar(page, provider).and(page.locator(':not([data-status="disconnected"])')).waitFor()
    }
    await page.locator('integration-settings li.card[data-provider="supabase"][data-status="error"]').waitFor()
    mkdirSync(ARTIFACTS, { recursive: true })
    const path = `${ARTIFACTS}demo-page.png`
    await page.screenshot({ path, fullPage: true })
    t.match(await page.locator('integration-settings li.card[data-provider="supabase"] [part="problem"]').textContent(), /Access revoked\s*Reconnect Supabase to restore sync/, 'the settings tab shows the problem\'s title and hint')
    t.ok(await page.locator('integration-settings button[data-provider="supabase"][data-action="reconnect"]').count() === 1, 'and the reconnect flow')
    t.comment(`screenshot: ${path}`)
  })
})
