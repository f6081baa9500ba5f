import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parse, stringify } from 'yaml'
import { breakingChanges, isMajorRaised, patternMaxLength } from '../../src/openapi-diff.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const yamlText = await readFile(join(root, 'openapi.yaml'), 'utf8')
/** The real contract, fresh for each edit. */
const contract = () => parse(yamlText)
type Doc = ReturnType<typeof contract>

/** The changes an in-memory edit of the real openapi.yaml makes. */
function changesOf (edit: (doc: Doc) => void) {
  const head = contract()
  edit(head)
  return breakingChanges(contract(), head)
}

const schemas = (doc: Doc) => doc.components.schemas
const operation = (doc: Doc, path: string, method: string) => doc.paths[path][method]
const param = (doc: Doc, path: string, method: string, name: string) =>
  operation(doc, path, method).parameters.find((p: { name: string }) => p.name.toLowerCase() === name.toLowerCase())

t.test('the contract compared with itself has no breaking change', async (t) => {
  t.same(breakingChanges(contract(), contract()), [])
})

t.test('compatible edits pass', async (t) => {
  const compatible: Record<string, (doc: Doc) => void> = {
    'a new operation': (doc) => { doc.paths['/api/new'] = { get: { responses: { 200: { description: 'ok' } } } } },
    'a new optional query parameter': (doc) => { operation(doc, '/api/integrations/status', 'get').parameters.push({ in: 'query', name: 'verbose', required: false, schema: { type: 'boolean' } }) },
    'a new response field': (doc) => { schemas(doc).StatusEnvelope.properties.generatedAt = { type: 'string' } },
    'a new documented status': (doc) => { operation(doc, '/api/integrations/status', 'get').responses['418'] = { description: 'a new answer' } },
    'a request enum that accepts more': (doc) => { schemas(doc).ProviderKey.anyOf.push({ type: 'string', enum: ['acme'] }) },
    'a new provider: its key and its link config': (doc) => {
      schemas(doc).AcmeLinkConfig = { type: 'object', properties: { zone: { type: 'string', maxLength: 40 } }, required: ['zone'], additionalProperties: false }
      schemas(doc).ProviderKey.anyOf.push({ type: 'string', enum: ['acme'] })
      schemas(doc).IntegrationLink.properties.config.anyOf.push({ $ref: '#/components/schemas/AcmeLinkConfig' })
    },
    'a looser request constraint': (doc) => { param(doc, '/api/integrations/actions', 'get', 'before').schema.maxLength = 400 },
    'a default that is no longer required': (doc) => { param(doc, '/api/integrations/actions', 'get', 'limit').required = false },
    'a header parameter renamed to its canonical case': (doc) => { param(doc, '/api/integrations/actions', 'post', 'idempotency-key').name = 'Idempotency-Key' },
    'a response header renamed to its canonical case': (doc) => {
      const headers = operation(doc, '/api/integrations/status', 'get').responses['200'].headers
      headers.ETag = headers.etag
      delete headers.etag
    },
    'a bound the pattern already implied': (doc) => { param(doc, '/api/integrations/status', 'get', 'projectId').schema.maxLength = 128 },
    'a path parameter renamed': (doc) => {
      doc.paths['/api/integrations/actions/{actionId}'] = doc.paths['/api/integrations/actions/{id}']
      delete doc.paths['/api/integrations/actions/{id}']
      param(doc, '/api/integrations/actions/{actionId}', 'get', 'id').name = 'actionId'
    },
    'a response value narrowed (an enum value a client never gets again)': (doc) => { schemas(doc).StatusValue.anyOf.pop() }
  }
  for (const [name, edit] of Object.entries(compatible)) t.same(changesOf(edit), [], name)
})

t.test('each kind of breaking edit is caught, where it happened', async (t) => {
  const breaking: Array<[string, (doc: Doc) => void, RegExp]> = [
    ['a removed operation', (doc) => { delete doc.paths['/api/integrations/actions/{id}'].get }, /GET \/api\/integrations\/actions\/\{id\}: operation removed/],
    ['a removed response', (doc) => { delete operation(doc, '/api/integrations/status', 'get').responses['304'] }, /GET \/api\/integrations\/status: response 304 removed/],
    ['a removed response header', (doc) => { delete operation(doc, '/api/integrations/status', 'get').responses['200'].headers['Events-Position'] }, /response 200 header Events-Position removed/],
    ['a removed request field', (doc) => { delete schemas(doc).PostActionBody.properties.params }, /POST \/api\/integrations\/actions request body\.params: request field removed/],
    ['a newly required request field', (doc) => { schemas(doc).PostActionBody.required.push('params') }, /request body\.params: request field is now required/],
    ['a new required request field', (doc) => {
      schemas(doc).PostActionBody.properties.reason = { type: 'string' }
      schemas(doc).PostActionBody.required.push('reason')
    }, /request body\.reason: new required request field/],
    ['a removed parameter', (doc) => {
      const op = operation(doc, '/api/integrations/actions', 'get')
      op.parameters = op.parameters.filter((p: { name: string }) => p.name !== 'before')
    }, /GET \/api\/integrations\/actions: query parameter before removed/],
    ['a newly required parameter', (doc) => { param(doc, '/api/integrations/actions', 'get', 'before').required = true }, /query parameter before is now required/],
    ['a new required parameter', (doc) => { operation(doc, '/api/integrations/status', 'get').parameters.push({ in: 'header', name: 'X-Tenant', required: true, schema: { type: 'string' } }) }, /new required header parameter X-Tenant/],
    ['a removed response field', (doc) => { delete schemas(doc).StatusEnvelope.properties.renderHash }, /response 200 body\.renderHash: response field removed/],
    ['a response field no longer always present', (doc) => { schemas(doc).StatusEnvelope.required = schemas(doc).StatusEnvelope.required.filter((n: string) => n !== 'hash') }, /body\.hash: response field no longer always present/],
    ['an enum value removed from a request', (doc) => { schemas(doc).ProviderKey.anyOf.splice(2, 1) }, /path parameter key: alternative "sanity" no longer accepted/],
    ['a tightened maxLength', (doc) => { param(doc, '/api/integrations/actions', 'get', 'before').schema.maxLength = 100 }, /query parameter before: maxLength tightened to 100 \(was 200\)/],
    ['a pattern added or narrowed', (doc) => { param(doc, '/api/integrations/actions', 'get', 'before').schema.pattern = '^[a-z]+$' }, /query parameter before: pattern (added|changed)/],
    ['a raised minimum', (doc) => { param(doc, '/api/integrations/actions', 'get', 'limit').schema.minimum = 5 }, /query parameter limit: minimum tightened to 5 \(was 1\)/],
    ['a removed request media type', (doc) => { delete operation(doc, '/api/integrations/actions', 'post').requestBody.content['application/json'] }, /request body application\/json no longer accepted/],
    ['a new object in a response union not marked as growing', (doc) => {
      const config = schemas(doc).IntegrationLink.properties.config
      delete config['x-extensible-union']
      config.anyOf.push({ type: 'object', properties: { zone: { type: 'string' } } })
    }, /body\.items\[\]\.config: may now be #\d/],
    ['a response that may now be another type', (doc) => { schemas(doc).StatusEnvelope.properties.hash.type = ['string', 'null'] }, /body\.hash: may now be null/]
  ]
  for (const [name, edit, expected] of breaking) {
    const changes = changesOf(edit)
    t.ok(changes.some((c) => expected.test(`${c.location}: ${c.message}`)), `${name}: ${changes.map((c) => `${c.location}: ${c.message}`).join('; ') || 'nothing found'}`)
  }
  // A union in the base that loses a member (the real contract has none on a request value).
  const base = contract()
  param(base, '/api/integrations/actions', 'get', 'limit').schema.type = ['integer', 'string']
  const head = contract()
  const union = breakingChanges(base, head)
  t.match(union, [{ location: 'GET /api/integrations/actions query parameter limit', message: 'string no longer accepted' }], 'a type removed from a union')
})

t.test('recursive schemas end', async (t) => {
  const edit = (doc: Doc) => {
    schemas(doc).Tree = { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/components/schemas/Tree' } } } }
    schemas(doc).PostActionBody.properties.tree = { $ref: '#/components/schemas/Tree' }
  }
  const base = contract()
  edit(base)
  const head = contract()
  edit(head)
  delete schemas(head).Tree.properties.children.items.$ref
  schemas(head).Tree.properties.children.items.type = 'string'
  const changes = breakingChanges(base, head)
  t.match(changes, [{ location: /body\.tree\.children\[\]$/, message: 'object no longer accepted' }], JSON.stringify(changes))
})

t.test('a raised major version allows breaking changes', async (t) => {
  const head = contract()
  delete head.paths['/api/integrations/actions/{id}'].get
  t.equal(isMajorRaised(contract(), head), false)
  head.info.version = '3.0.0'
  t.equal(isMajorRaised(contract(), head), true)
  head.info.version = '2.9.0'
  t.equal(isMajorRaised(contract(), head), false, 'a minor bump does not')
})

t.test('patternMaxLength reads the bound of anchored patterns', async (t) => {
  t.equal(patternMaxLength('^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$'), 128)
  t.equal(patternMaxLength('^(0|[1-9][0-9]{0,14})$'), 15)
  t.equal(patternMaxLength('^(?:ab|c)?\\u0041{2}$'), 4)
  t.equal(patternMaxLength('^[a-z]+$'), Infinity)
  t.equal(patternMaxLength('[a-z]{3}'), Infinity, 'unanchored: any length')
  t.equal(patternMaxLength('^a{2,}$'), Infinity)
  t.equal(patternMaxLength(undefined), Infinity)
})

const exec = promisify(execFile)
const tsx = join(root, 'node_modules/tsx/dist/cli.mjs')
const script = join(root, 'src/scripts/openapi-diff.ts')

/** Runs the CI gate in `cwd`; resolves with its exit code and output. */
async function gate (cwd: string, ...args: string[]) {
  try {
    const { stdout } = await exec(process.execPath, [tsx, script, ...args], { cwd })
    return { code: 0, stdout }
  } catch (error) {
    const failed = error as { code: number, stdout: string }
    return { code: failed.code, stdout: failed.stdout }
  }
}

t.test('the CI gate over git history', async (t) => {
  const repo = await mkdtemp(join(tmpdir(), 'openapi-diff-'))
  t.teardown(() => rm(repo, { recursive: true, force: true }))
  const git = (...args: string[]) => exec('git', ['-c', 'user.email=ci@example.test', '-c', 'user.name=ci', ...args], { cwd: repo })
  const commit = async (doc: Doc, message: string) => {
    await writeFile(join(repo, 'openapi.yaml'), stringify(doc))
    await git('add', 'openapi.yaml')
    await git('commit', '-q', '-m', message)
  }
  await git('init', '-q')
  await commit(contract(), 'first')
  const first = await gate(repo)
  t.equal(first.code, 0, 'a first commit passes')
  t.match(first.stdout, /nothing to compare with: HEAD~1 does not exist/)

  const compatible = contract()
  compatible.paths['/api/new'] = { get: { responses: { 200: { description: 'ok' } } } }
  await commit(compatible, 'compatible')
  const second = await gate(repo)
  t.equal(second.code, 0, 'a compatible commit passes')
  t.match(second.stdout, /no breaking change against HEAD~1/)

  const breaking = contract()
  delete breaking.paths['/api/integrations/actions/{id}'].get
  await commit(breaking, 'breaking')
  const third = await gate(repo)
  t.equal(third.code, 1, 'a breaking commit fails')
  t.match(third.stdout, /GET \/api\/integrations\/actions\/\{id\}: operation removed/)
  t.match(third.stdout, /raise info\.version's major/)
  t.equal((await gate(repo, '--base', 'HEAD')).code, 0, '--base picks the ref (here: the commit itself)')

  breaking.info.version = '3.0.0'
  await commit(breaking, 'major')
  // HEAD~1 already lacks the operation; compare with the last 2.x commit instead.
  const major = await gate(repo, '--base', 'HEAD~2')
  t.equal(major.code, 0, 'a raised major passes')
  t.match(major.stdout, /allowed: info\.version's major was raised \(2\.0\.0 → 3\.0\.0\)/)

  // CI's fresh clone with one commit of history: said, and passed.
  const shallow = await mkdtemp(join(tmpdir(), 'openapi-diff-shallow-'))
  t.teardown(() => rm(shallow, { recursive: true, force: true }))
  await exec('git', ['clone', '-q', '--depth', '1', `file://${repo}`, shallow])
  const clone = await gate(shallow)
  t.equal(clone.code, 0)
  t.match(clone.stdout, /HEAD~1 does not exist here \(shallow clone/)

  const outside = await mkdtemp(join(tmpdir(), 'openapi-diff-nogit-'))
  t.teardown(() => rm(outside, { recursive: true, force: true }))
  t.match((await gate(outside)).stdout, /not in a git repository; passing/)
})
