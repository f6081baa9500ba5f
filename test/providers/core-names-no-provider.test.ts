import t from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

// The measure of the provider manifests: core never names a provider, so the next one needs no
// core edit. Allowed outside adapters/: the demo script and the
// simulator's own process (it stands for the providers).
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CORE = ['src', 'plugins', 'web']
const ALLOWED = new Set(['src/scripts/demo.ts', 'src/scripts/demo-project.ts', 'src/scripts/simulator.ts'])
const PROVIDER_NAME = /github|vercel|sanity|supabase|netlify/i

async function files (dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true })
  const nested = await Promise.all(entries.map((e) => e.isDirectory() ? files(join(dir, e.name)) : Promise.resolve([join(dir, e.name)])))
  return nested.flat()
}

t.test('no core file names a specific provider (comments included)', async (t) => {
  const all = (await Promise.all(CORE.map(files))).flat().filter((f) => /\.(ts|js|html|css)$/.test(f))
  t.ok(all.length > 50, 'the core files were found')
  const naming = []
  for (const file of all) {
    if (ALLOWED.has(relative(ROOT, join(ROOT, file)))) continue
    const text = await readFile(join(ROOT, file), 'utf8')
    const line = text.split('\n').findIndex((l) => PROVIDER_NAME.test(l))
    if (line >= 0) naming.push(`${file}:${line + 1}`)
  }
  t.same(naming, [], 'provider names belong in adapters/<provider>/')
})
