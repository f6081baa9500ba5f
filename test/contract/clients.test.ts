import t from 'tap'
import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { freshHeyApiTree, HEY_API_OUTPUT, OPENAPI_PATH, readTree, TYPESCRIPT_CLIENT_DIR, TYPESCRIPT_CLIENT_TYPES, typescriptClientTypes } from '../../src/client-generation.js'
import { statusApp } from '../support/status-app.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
/** The package's and the consumer's tsc runs each take seconds; on a busy machine, more. */
t.setTimeout(300_000)
const tsc = join(root, 'node_modules/typescript/bin/tsc')
const run = promisify(execFile)

t.test('the committed clients are what openapi.yaml generates (run `npm run clients`)', async (t) => {
  const yaml = await readFile(OPENAPI_PATH, 'utf8')
  t.equal(await readFile(TYPESCRIPT_CLIENT_TYPES, 'utf8'), await typescriptClientTypes(yaml), 'clients/typescript/src/openapi.ts is current')
  const committed = await readTree(HEY_API_OUTPUT)
  const fresh = await freshHeyApiTree()
  t.same([...committed.keys()].sort(), [...fresh.keys()].sort(), 'clients/hey-api/src has the files the generator writes')
  for (const [path, text] of fresh) t.equal(committed.get(path), text, `clients/hey-api/src/${path} is current`)
})

t.test('another service installs the package and calls the service with its types', async (t) => {
  // What `npm install` of the package gives a consumer: its package.json and sources built by
  // its own `npm run build` (tsc --strict), under node_modules/@integration-status/client.
  const dir = await mkdtemp(join(tmpdir(), 'client-consumer-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const installed = join(dir, 'node_modules/@integration-status/client')
  await mkdir(installed, { recursive: true })
  for (const file of ['package.json', 'tsconfig.json', 'src']) await cp(join(TYPESCRIPT_CLIENT_DIR, file), join(installed, file), { recursive: true })
  await symlink(join(root, 'node_modules/openapi-fetch'), join(dir, 'node_modules/openapi-fetch'), 'dir')
  // Library .d.ts files are checked by `npm run typecheck`; skipping them here keeps this quick.
  await run(process.execPath, [tsc, '-p', join(installed, 'tsconfig.json'), '--skipLibCheck'])
  const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'))
  t.equal(manifest.name, '@integration-status/client')

  // One compilation for a good consumer and a bad one (tsc still emits the good one).
  const tsconfig = { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], types: [], strict: true }, files: ['consumer.ts', 'misuse.ts'] }
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig))
  await writeFile(join(dir, 'consumer.ts'), [
    "import { createIntegrationStatusClient, type Schemas } from '@integration-status/client'",
    'export async function overall (baseUrl: string, token: string, projectId: string): Promise<Schemas[\'StatusEnvelope\'][\'overall\'] | undefined> {',
    '  const client = createIntegrationStatusClient({ baseUrl, token })',
    "  const { data } = await client.GET('/api/integrations/status', { params: { query: { projectId } } })",
    '  return data?.overall',
    '}'
  ].join('\n'))
  await writeFile(join(dir, 'misuse.ts'), [
    "import { createIntegrationStatusClient } from '@integration-status/client'",
    "export const nope = createIntegrationStatusClient({ baseUrl: '' }).GET('/api/integrations/nope')"
  ].join('\n'))
  const output = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--skipLibCheck'], { cwd: dir }).then(({ stdout }) => stdout, (error: { stdout: string }) => error.stdout)
  const errors = output.split('\n').filter((line) => /error TS\d+/.test(line))
  t.ok(errors.length > 0 && errors.every((line) => line.startsWith('misuse.ts')), `the types travel with the package: only the undocumented path is refused\n${output}`)

  const s = await statusApp(t, { listen: true })
  await s.link('p_consumer', 'github')
  const consumer = await import(pathToFileURL(join(dir, 'consumer.js')).href) as { overall (baseUrl: string, token: string, projectId: string): Promise<string | undefined> }
  t.equal(await consumer.overall(s.url, s.token({ sub: 'u_c', roles: { p_consumer: 'viewer' } }), 'p_consumer'), 'connected', 'the built package runs in the consumer')
})
