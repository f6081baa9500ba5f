import { existsSync } from 'node:fs'
import type { Test } from 'tap'
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core'
import type { StatusApp } from './status-app.js'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Why browser tests cannot run here, or false. With CI=true a missing Chromium is a failure, not a skip. */
export const browserProblem = () => (existsSync(CHROMIUM) || process.env.CI === 'true' ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)`)

/** Debian's Chromium, headless, closed at the end of the test. */
export async function launchBrowser (t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']
  })
  t.teardown(() => browser.close())
  return browser
}

/** A browser profile signed in to the app as one role on one project (the session and CSRF cookies). */
export async function signedIn (t: Test, browser: Browser, s: StatusApp, role: 'owner' | 'admin' | 'editor' | 'viewer', projectId: string, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, ...options })
  t.teardown(() => context.close())
  const token = s.token({ sub: `u_${role}`, roles: { [projectId]: role } })
  await context.addCookies([
    { name: 'is_session', value: token, url: s.url, httpOnly: true, sameSite: 'Lax' },
    { name: 'is_csrf', value: s.app.auth.csrfTokenFor(token), url: s.url, sameSite: 'Lax' }
  ])
  return context
}
