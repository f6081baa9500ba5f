import t from 'tap'
import { statusApp } from '../support/status-app.js'
import { browserProblem, launchBrowser, signedIn } from '../support/browser.js'
import { REACT_PAGE, reactBundle } from '../support/react-page.js'

const skip = browserProblem()

t.test('the components inside a React 19 app: properties, attributes and DOM events', { skip }, async (t) => {
  const browser = await launchBrowser(t)
  const s = await statusApp(t, { listen: true })
  const projectId = 'p_react'
  await s.link(projectId, 'github')
  await s.link(projectId, 'sanity', 'webhook_disabled')
  const page = await (await signedIn(t, browser, s, 'owner', projectId)).newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  // The React page lives on the service's origin (the session cookie), served by the test.
  const bundle = reactBundle()
  await page.route(`${s.url}/react-test/**`, (route) => route.request().url().endsWith('/react.js')
    ? route.fulfill({ contentType: 'text/javascript', body: bundle })
    : route.fulfill({ contentType: 'text/html', body: REACT_PAGE }))
  await page.goto(`${s.url}/react-test/index.html?projectId=${projectId}`)
  t.equal(await page.evaluate(() => (globalThis as any).React.version), '19.3.1', 'React 19 rendered the page')

  await page.locator('#overall').filter({ hasText: 'overall: warning' }).waitFor()
  t.pass('integration-status-change reached a React handler (onintegration-status-change)')
  const bar = page.locator('integration-status-bar')
  t.equal(await bar.getAttribute('project-id'), projectId, 'the projectId property set by React reflects to the attribute')
  t.equal(await bar.getAttribute('theme'), 'dark', 'theme as a property')
  await page.locator('integration-settings li.card[data-provider="sanity"] [part="problem"]').filter({ hasText: 'Webhook deaktiviert' }).waitFor()
  t.pass('lang="de" set by React: the settings tab speaks German')

  await page.locator('integration-status-bar button[data-provider="github"][data-action="sync"]').click()
  await page.locator('#actions').filter({ hasText: 'sync:succeeded' }).waitFor()
  t.match(await page.locator('#actions').textContent(), /sync:pending sync:succeeded/, 'integration-action events: pending, then succeeded')
  t.same(errors, [], 'no page errors')
})
