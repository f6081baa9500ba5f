import t from 'tap'
import type { Test } from 'tap'
import type { Browser, Page } from 'playwright-core'
import { statusApp, type StatusApp } from '../support/status-app.js'
import { browserProblem, launchBrowser, signedIn } from '../support/browser.js'
import { post } from '../support/actions.js'
import { eventually } from '../support/events.js'

/** Connect, disconnect and action results in the settings tab and the status bar, as people use them. */

const skip = browserProblem()
t.setTimeout(360_000)

/** A signed-in page of the demo for one role and project. */
async function demo (t: Test, browser: Browser, s: StatusApp, role: 'owner' | 'editor' | 'viewer', projectId: string): Promise<Page> {
  const page = await (await signedIn(t, browser, s, role, projectId)).newPage()
  await page.goto(`${s.url}/ui/demo.html?projectId=${projectId}`)
  return page
}

const card = (page: Page, provider: string) => page.locator(`integration-settings li.card[data-provider="${provider}"]`)

t.test('in Chromium', { skip }, async (t) => {
  const browser = await launchBrowser(t)
  const s = await statusApp(t, { listen: true })

  t.test('an owner connects Sanity with a token, checked with Sanity before it is stored, by keyboard', async (t) => {
    const projectId = 'p_ui_connect'
    const page = await demo(t, browser, s, 'owner', projectId)
    const connect = card(page, 'sanity').locator('button[data-action="connect"]')
    await connect.waitFor()
    await connect.focus()
    await page.keyboard.press('Enter')
    const form = page.locator('integration-settings form[part="form"]')
    await form.waitFor()
    t.equal(await page.evaluate(() => (globalThis as any).document.querySelector('integration-settings').shadowRoot.activeElement?.getAttribute('name')), 'projectId', 'focus moves into the form')

    // Nothing filled in: each field says what is missing, focus on the first.
    await page.keyboard.press('Enter')
    t.equal(await form.locator('.error:not([hidden])').count(), 3, 'three required fields')
    t.equal(await form.locator('input[name="projectId"]').getAttribute('aria-invalid'), 'true')

    await form.locator('input[name="projectId"]').fill('sanityui1')
    await form.locator('input[name="dataset"]').fill('production')
    t.equal(await form.locator('input[name="token"]').getAttribute('type'), 'password', 'the token is typed in a password field')
    await form.locator('input[name="token"]').fill('not-a-token-sanity-knows')
    await form.locator('input[name="token"]').press('Enter')
    await form.locator('.form-msg[data-state="failed"]').waitFor()
    t.match(await form.locator('.form-msg').textContent(), /Sanity rejected the token; nothing was stored/, 'the provider\'s refusal, in words')
    t.equal(await form.locator('input[name="token"]').inputValue(), '', 'the token field is emptied')
    t.notOk(await s.app.integrationLinks.credentials(projectId, 'sanity'), 'nothing stored')

    const token = 'sanity-ui-token-0123456789abcdef'
    s.sim.setScenario('sanity', token, 'healthy')
    await form.locator('input[name="token"]').fill(token)
    await form.locator('input[name="token"]').press('Enter')
    await card(page, 'sanity').and(page.locator('[data-status="connected"]')).waitFor()
    t.equal((await s.app.integrationLinks.credentials(projectId, 'sanity'))?.token, token, 'stored once Sanity accepted it')
    t.match(await card(page, 'sanity').locator('[part="message"]').textContent(), /Sanity is connected/)
    const html = await page.evaluate(() => [...(globalThis as any).document.querySelectorAll('integration-settings, integration-status-bar')].map((e: any) => e.shadowRoot.innerHTML).join(''))
    t.notMatch(html, token, 'the secret is nowhere in the page')
  })

  t.test('a viewer cannot connect and is told why; the controls are disabled with the service\'s reason', async (t) => {
    const projectId = 'p_ui_viewer'
    const page = await demo(t, browser, s, 'viewer', projectId)
    const connect = card(page, 'sanity').locator('button[data-action="connect"]')
    await connect.waitFor()
    t.ok(await connect.isDisabled(), 'Connect is disabled')
    t.equal(await connect.getAttribute('title'), 'Viewers can only view integrations', 'with the service\'s reason as tooltip')
    t.match(await connect.getAttribute('aria-label'), /^Connect Sanity: Viewers can only view integrations$/, 'and in its accessible name')
    t.match(await card(page, 'sanity').locator('[part="note"]').textContent(), /You can see this integration but not change it\. Ask a project owner or admin\./, 'and in visible words')
    const refused = await post(s, { projectId, provider: 'sanity', action: 'connect', params: { config: { projectId: 'x', dataset: 'production' }, token: 'x' } }, { role: 'viewer' })
    t.equal(refused.statusCode, 403, 'the service refuses it as well')
  })

  t.test('disconnect asks first, says what it removes and what it leaves, and can be cancelled', async (t) => {
    const projectId = 'p_ui_disconnect'
    await s.link(projectId, 'github')
    const page = await demo(t, browser, s, 'owner', projectId)
    const disconnect = card(page, 'github').locator('button[data-action="disconnect"]')
    await card(page, 'github').and(page.locator('[data-status="connected"]')).waitFor()
    await disconnect.click()
    const dialog = page.locator('integration-settings dialog[open]')
    await dialog.waitFor()
    t.match(await dialog.locator('h2').textContent(), 'Disconnect GitHub?')
    t.match(await dialog.textContent(), /removes the link and its stored token[\s\S]*does not delete anything at GitHub, and it does not revoke the token there/)
    t.equal(await dialog.locator('button:focus').getAttribute('data-dialog'), 'cancel', 'the safe choice has the focus')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' }).catch(() => {})
    await eventually(async () => !(await page.locator('integration-settings dialog').evaluate((d) => (d as any).open)), 'closed')
    t.ok(await s.app.integrationLinks.credentials(projectId, 'github'), 'Escape leaves it linked')
    t.equal(await page.evaluate(() => (globalThis as any).document.querySelector('integration-settings').shadowRoot.activeElement?.getAttribute('data-action')), 'disconnect', 'focus is back on Disconnect')

    await disconnect.click()
    await page.locator('integration-settings dialog[open] button[data-dialog="confirm"]').click()
    await card(page, 'github').and(page.locator('[data-status="disconnected"]')).waitFor()
    t.notOk(await s.app.integrationLinks.credentials(projectId, 'github'), 'unlinked once confirmed')
    t.match(await card(page, 'github').locator('[part="message"]').textContent(), /GitHub is disconnected\. The link and its stored token were removed here\. The token itself still works at GitHub/, 'the result says what happened at GitHub')
    t.ok(await card(page, 'github').locator('button[data-action="connect"]').isVisible(), 'and offers Connect again')
  })

  t.test('a rate-limited action says when it can be tried again, counting down from Retry-After', async (t) => {
    const projectId = 'p_ui_limited'
    await s.link(projectId, 'github')
    const page = await (await signedIn(t, browser, s, 'editor', projectId)).newPage()
    await page.clock.install({ time: Date.now() })
    await page.goto(`${s.url}/ui/demo.html?projectId=${projectId}`)
    const sync = page.locator('integration-status-bar button[data-provider="github"][data-action="sync"]')
    await sync.waitFor()
    // The same person used up the 5 actions a minute elsewhere.
    for (let i = 0; i < 5; i++) t.equal((await post(s, { projectId, provider: 'github', action: 'sync' }, { role: 'editor', sub: 'u_editor' })).statusCode, 202)
    await sync.click()
    const message = page.locator('integration-status-bar [data-progress="github"][data-state="limited"]')
    await message.waitFor()
    const first = Number(await message.getAttribute('data-retry'))
    t.ok(first > 0 && first <= 60, `Retry-After seconds shown (${first})`)
    t.match(await message.textContent(), new RegExp(`Too many requests\\. Try again in ${first} s\\.`))
    t.ok(await sync.isDisabled(), 'the button waits too')
    await page.clock.runFor(10_000)
    await eventually(async () => Number(await message.getAttribute('data-retry')) <= first - 9, 'counting down')
    await page.clock.runFor((first + 1) * 1000)
    await page.locator('integration-status-bar [data-progress="github"]').filter({ hasText: 'You can try again now.' }).waitFor()
    t.notOk(await sync.isDisabled(), 'enabled again once the time is up')
  })
})
