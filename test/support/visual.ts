import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import type { Page } from 'playwright-core'
import { PNG } from 'pngjs'
import pixelmatch from 'pixelmatch'

/** Committed reference screenshots (docs/ui.md shows them); `UPDATE_SCREENSHOTS=1` rewrites them. */
export const REFERENCES = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
/** Where a failing comparison leaves the new screenshot and the difference. */
export const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url))
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1'
/** Share of pixels that may differ (anti-aliasing, font hinting on another machine). */
export const MAX_DIFF_RATIO = 0.005

const require = createRequire(import.meta.url)
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

/**
 * Compares a full-page screenshot with its committed reference: same size, and at most
 * MAX_DIFF_RATIO of the pixels differing beyond pixelmatch's colour threshold.
 */
export async function matchesScreenshot (t: Test, page: Page, name: string) {
  const actual = await page.screenshot({ fullPage: true, animations: 'disabled', caret: 'hide', scale: 'css' })
  const reference = `${REFERENCES}${name}.png`
  if (UPDATE || !existsSync(reference)) {
    mkdirSync(REFERENCES, { recursive: true })
    writeFileSync(reference, PNG.sync.write(PNG.sync.read(actual), { deflateLevel: 9 }))
    t.ok(UPDATE, `${name}: reference written${UPDATE ? '' : ' (it was missing: commit it, or run with UPDATE_SCREENSHOTS=1)'}`)
    return
  }
  const a = PNG.sync.read(actual)
  const b = PNG.sync.read(readFileSync(reference))
  const keep = () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    writeFileSync(`${ARTIFACTS}${name}.actual.png`, actual)
  }
  if (a.width !== b.width || a.height !== b.height) {
    keep()
    t.fail(`${name}: ${a.width}×${a.height}, the reference is ${b.width}×${b.height} (new one in artifacts/)`)
    return
  }
  const diff = new PNG({ width: a.width, height: a.height })
  const differing = pixelmatch(a.data, b.data, diff.data, a.width, a.height, { threshold: 0.1 })
  const ratio = differing / (a.width * a.height)
  if (ratio > MAX_DIFF_RATIO) {
    keep()
    writeFileSync(`${ARTIFACTS}${name}.diff.png`, PNG.sync.write(diff))
  }
  t.ok(ratio <= MAX_DIFF_RATIO, `${name}: ${differing} pixels differ (${(ratio * 100).toFixed(3)}%, at most ${MAX_DIFF_RATIO * 100}%)`)
}

export interface AxeViolation { id: string, impact: string | null, help: string, nodes: Array<{ target: unknown[], failureSummary?: string }> }

/**
 * Runs axe-core in the page (its source served from the page's own origin, so the page's CSP
 * stays as it is) over the whole document, open shadow roots included.
 */
export async function axeViolations (page: Page): Promise<AxeViolation[]> {
  const url = new URL('/ui/__axe.js', page.url()).href
  await page.route(url, (route) => route.fulfill({ contentType: 'text/javascript', body: AXE_SOURCE }))
  if (!await page.evaluate(() => 'axe' in globalThis)) await page.addScriptTag({ url })
  return page.evaluate(async () => {
    const axe = (globalThis as any).axe as { run: (context: unknown, options: object) => Promise<{ violations: AxeViolation[] }> }
    const { violations } = await axe.run((globalThis as any).document, { resultTypes: ['violations'] })
    return violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }))
  })
}

/** One line per violation, for the test output and the report. */
export const describeViolations = (violations: AxeViolation[]) =>
  violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`).join('\n')
