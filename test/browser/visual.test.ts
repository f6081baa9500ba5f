import t from 'tap'
import type { Test } from 'tap'
import type { Browser, Page } from 'playwright-core'
import { statusApp, type StatusApp } from '../support/status-app.js'
import { browserProblem, launchBrowser, signedIn } from '../support/browser.js'
import { axeViolations, describeViolations, matchesScreenshot } from '../support/visual.js'
import { DEMO_LINKS } from '../../src/scripts/demo-project.js'

/**
 * The demo in every state, seen: full-page screenshots at 320 and 1280 px, light and dark,
 * compared with the committed references in docs/screenshots (UPDATE_SCREENSHOTS=1 rewrites
 * them), and axe-core over each state, each role and both themes. Time is fixed on both sides
 * (the service and simulator run on a fixed clock, the page's Date is fixed), animations are off.
 */

const skip = browserProblem()
// Twenty pages, fifteen screenshots and twenty axe runs: longer than the suite's 120 s per file.
t.setTimeout(600_000)
const FIXED = Date.parse('2026-11-25T14:30:00.000Z')
const SHOWN_AT = FIXED + 40_000

type Role = 'owner' | 'editor' | 'viewer'
type Theme = 'light' | 'dark'
interface View { role: Role, width: 320 | 1280, theme: Theme, projectId?: string, at?: number, offline?: boolean, lang?: string }

/** Half the dark views use prefers-color-scheme, half the `theme` attribute: both paths are seen. */
async function open (t: Test, browser: Browser, s: StatusApp, view: View): Promise<Page> {
  const projectId = view.projectId ?? 'p_demo'
  const viaAttribute = view.theme === 'dark' && view.width === 320
  const context = await signedIn(t, browser, s, view.role, projectId, {
    viewport: { width: view.width, height: 800 },
    colorScheme: viaAttribute ? 'light' : view.theme,
    reducedMotion: 'reduce',
    locale: 'en-US',
    timezoneId: 'UTC'
  })
  const page = await context.newPage()
  page.on('pageerror', (error) => t.comment(`page error: ${error.message}`))
  page.on('console', (message) => { if (message.type() === 'error') t.comment(`console: ${message.text()}`) })
  await page.clock.setFixedTime(view.at ?? SHOWN_AT)
  if (view.offline) await page.route('**/api/integrations/events**', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{}' }))
  const query = new URLSearchParams({ projectId, ...(viaAttribute ? { theme: 'dark' } : {}), ...(view.lang ? { lang: view.lang } : {}) })
  await page.goto(`${s.url}/ui/demo.html?${query}`)
  await page.locator(`integration-status-bar .conn[data-connection="${view.offline ? 'reconnecting' : 'streaming'}"]`).waitFor()
  await page.locator('#who').filter({ hasText: view.role }).waitFor()
  return page
}

const name = (state: string, view: View) => `${state}-${view.width}-${view.theme}`

async function noViolations (t: Test, page: Page, label: string) {
  const violations = await axeViolations(page)
  t.same(violations.map((v) => v.id), [], `axe: no violation (${label})`)
  if (violations.length > 0) t.comment(describeViolations(violations))
  else t.comment(`axe ${label}: 0 violations`)
}

/** The state on screen matches its reference and axe finds nothing in it; then its page closes. */
async function seen (t: Test, page: Page, state: string, view: View) {
  await matchesScreenshot(t, page, name(state, view))
  await noViolations(t, page, name(state, view))
  await page.context().close()
}

t.test('the demo in each state: screenshots match the references, axe finds nothing', { skip }, async (t) => {
  const browser = await launchBrowser(t)
  const s = await statusApp(t, { listen: true, now: () => FIXED })
  for (const link of DEMO_LINKS) await s.link('p_demo', link.provider, link.scenario, { config: link.config, ...link.options })
  await s.link('p_connect', 'github', 'healthy', { config: DEMO_LINKS[0]!.config, branch: 'main' })
  // Checked once before any page opens, so every page sees the same results.
  await s.status('p_demo')
  await s.status('p_connect')

  const settled = async (page: Page) => {
    for (const [provider, status] of [['github', 'connected'], ['vercel', 'warning'], ['sanity', 'warning'], ['supabase', 'error'], ['netlify', 'connected']]) {
      await page.locator(`integration-settings li.card[data-provider="${provider}"][data-status="${status}"]`).waitFor()
    }
  }

  t.test('connected, warning and error (the demo project), each role, light and dark', async (t) => {
    for (const view of [
      { role: 'owner', width: 1280, theme: 'light' },
      { role: 'owner', width: 1280, theme: 'dark' },
      { role: 'owner', width: 320, theme: 'light' },
      { role: 'owner', width: 320, theme: 'dark' },
      { role: 'viewer', width: 1280, theme: 'light' },
      { role: 'viewer', width: 320, theme: 'dark' }
    ] satisfies View[]) {
      const page = await open(t, browser, s, view)
      await settled(page)
      const shown = await page.evaluate(() => [...(globalThis as any).document.querySelectorAll('integration-status-bar, integration-settings')]
        .flatMap((element: any) => [...element.shadowRoot.children].filter((child: any) => child.tagName !== 'STYLE').map((child: any) => child.innerText)).join('\n'))
      t.notMatch(shown, /\b[a-z]+_[a-z_]+\b/, 'no raw problem code anywhere in the components')
      t.match(shown, /Access revoked[\s\S]*Webhook disabled|Webhook disabled[\s\S]*Access revoked/, 'problem titles instead')
      await matchesScreenshot(t, page, name(view.role === 'owner' ? 'demo' : 'viewer', view))
      await noViolations(t, page, name(view.role, view))
      await page.context().close()
    }
    for (const view of [
      { role: 'editor', width: 1280, theme: 'light' },
      { role: 'editor', width: 1280, theme: 'dark' },
      { role: 'viewer', width: 1280, theme: 'dark' }
    ] satisfies View[]) {
      const page = await open(t, browser, s, view)
      await settled(page)
      await noViolations(t, page, name(view.role, view))
      await page.context().close()
    }
  })

  t.test('stale: the last known status, more than 5 minutes old', async (t) => {
    for (const view of [
      { role: 'owner', width: 1280, theme: 'light', at: FIXED + 6 * 60_000 },
      { role: 'owner', width: 320, theme: 'dark', at: FIXED + 6 * 60_000 }
    ] satisfies View[]) {
      const page = await open(t, browser, s, view)
      await page.locator('integration-status-bar .item[data-provider="github"][data-stale="amber"]').waitFor()
      await seen(t, page, 'stale', view)
    }
  })

  t.test('offline: the stream is gone, the last status stays', async (t) => {
    for (const view of [
      { role: 'owner', width: 1280, theme: 'dark', offline: true },
      { role: 'editor', width: 320, theme: 'light', offline: true }
    ] satisfies View[]) {
      const page = await open(t, browser, s, view)
      await settled(page)
      t.match(await page.locator('integration-status-bar .conn').textContent(), /Connection lost/)
      await seen(t, page, 'offline', view)
    }
  })

  t.test('the disconnect dialog', async (t) => {
    for (const view of [
      { role: 'owner', width: 1280, theme: 'light' },
      { role: 'owner', width: 320, theme: 'dark' }
    ] satisfies View[]) {
      const page = await open(t, browser, s, view)
      await settled(page)
      await page.locator('integration-settings button[data-provider="sanity"][data-action="disconnect"]').click()
      await page.locator('integration-settings dialog[open]').waitFor()
      await seen(t, page, 'disconnect', view)
    }
  })

  t.test('the connect form for an integration that is not linked', async (t) => {
    for (const view of [
      { role: 'owner', width: 1280, theme: 'dark', projectId: 'p_connect' },
      { role: 'owner', width: 320, theme: 'light', projectId: 'p_connect' }
    ] satisfies View[]) {
      const page = await open(t, browser, s, view)
      await page.locator('integration-settings button[data-provider="sanity"][data-action="connect"]').click()
      await page.locator('integration-settings form[data-provider="sanity"]').waitFor()
      await page.locator('integration-settings form button[type="submit"]').click()
      await page.locator('integration-settings form .error:not([hidden])').first().waitFor()
      await seen(t, page, 'connect', view)
    }
  })

  t.test('German', async (t) => {
    const view: View = { role: 'owner', width: 1280, theme: 'light', lang: 'de' }
    const page = await open(t, browser, s, view)
    await settled(page)
    const text = await page.locator('integration-settings').evaluate((element) => element.shadowRoot!.textContent)
    t.match(text, /Zugriff widerrufen/, 'problem titles from the German catalog')
    t.match(text, /vor 40 Sekunden/, 'relative times through Intl, in German')
    await matchesScreenshot(t, page, 'demo-de-1280-light')
    await noViolations(t, page, 'de')
  })
})
