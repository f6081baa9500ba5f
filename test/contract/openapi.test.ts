import t from 'tap'
import { readFile } from 'node:fs/promises'
import { Validator } from '@seriousme/openapi-schema-validator'
import { createIntegrationStatusClient } from '../../clients/typescript/src/index.js'
import { TYPESCRIPT_CLIENT_TYPES, typescriptClientTypes } from '../../src/client-generation.js'
import { generateOpenApiDocument, toYaml } from '../../src/openapi-document.js'
import { build } from '../helper.js'
import { createContractChecker, loadContract } from './contract-checker.js'

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8')

t.test('the committed openapi.yaml and client types are what the code generates', async (t) => {
  const document = await generateOpenApiDocument()
  const yaml = toYaml(document)
  t.equal(await read('openapi.yaml'), yaml, 'openapi.yaml is current (run `npm run openapi`)')
  t.equal(await readFile(TYPESCRIPT_CLIENT_TYPES, 'utf8'), await typescriptClientTypes(yaml), 'client types are current (run `npm run openapi`)')
})

t.test('openapi.yaml is a valid OpenAPI 3.1 document', async (t) => {
  const validator = new Validator()
  const result = await validator.validate(await read('openapi.yaml'))
  t.same(result.errors ?? [], [], 'no schema errors')
  t.equal(result.valid, true)
  t.equal(validator.version, '3.1')
})

t.test('the document names every shared schema and documents the error shape on every operation', async (t) => {
  const { document } = await loadContract()
  for (const name of ['Error', 'IntegrationStatus', 'StatusEnvelope', 'IntegrationLink', 'ProviderKey']) {
    t.ok(document.components.schemas[name], `components.schemas.${name}`)
  }
  t.ok(document.components.schemas.Error.properties.code.enum.includes('VALIDATION_FAILED'), 'error codes are an enum')
  for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
    for (const [method, operation] of Object.entries<any>(item)) {
      t.ok(operation.responses['500'] || path === '/healthz' || path === '/readyz' || path === '/metrics', `${method} ${path} documents 500`)
      t.ok(operation.tags?.length, `${method} ${path} is tagged`)
    }
  }
})

t.test('the contract checker catches a response that breaks the document', async (t) => {
  const checker = await createContractChecker()
  checker.check('GET', '/api/projects/:projectId/integrations', 200, { projectId: 'p', items: [{ key: 'gitlab' }] })
  checker.check('GET', '/api/projects/:projectId/integrations', 418, {})
  checker.check('GET', undefined, 404, { statusCode: 404 })
  t.equal(checker.violations.length, 3, 'each bad response is reported')
  checker.violations.length = 0
  checker.check('GET', '/healthz', 200, { status: 'ok' })
  t.same(checker.violations, [], 'a good response passes')

  const head = (headers: Record<string, string | string[]>, status = 200) => {
    checker.violations.length = 0
    checker.checkHead('GET', '/api/integrations/status', status, { 'content-type': 'application/json; charset=utf-8', 'content-length': '10', ...headers })
    return [...checker.violations]
  }
  t.match(head({ etag: 'W/"abc"', 'x-request-id': 'r-1', 'retry-after': '5' }, 503), [/-> 503: header etag is not declared/], 'a header declared on another status of the route is undeclared here')
  t.same(head({ etag: 'W/"abc"', 'events-position': '12', 'cache-control': 'private, no-cache', vary: 'Origin, Authorization, Cookie' }), [], 'declared headers with good values pass, in any case')
  t.match(head({ 'x-powered-by': 'php' }), [/header x-powered-by is not declared/], 'an undeclared header fails')
  t.match(head({ 'events-position': 'soon' }), [/header events-position: "soon"/], 'a declared header whose value breaks its schema fails')
  t.match(head({ etag: 'W/"abc"' }, 304), [], '304 declares the ETag too')
  t.match(head({ 'content-type': 'text/html' }), [/content-type text\/html is not one of application\/json/], 'a media type not documented fails')
  t.match(head({ 'set-cookie': ['a=1', 'b=2'] }), [/header set-cookie is not declared/], 'Set-Cookie where the route sets none fails')
  t.match(head({}, 418), [/status not documented/], 'an undocumented status fails on its head alone (no JSON body needed)')
})

t.test('the test helper fails a live response with an undocumented header or status', async (t) => {
  const checker = await createContractChecker()
  const { app } = await build(t, {
    contract: false,
    beforeReady (app) {
      app.addHook('onRequest', checker.onRequest)
      app.addHook('onSend', checker.onSend)
      // A rogue hook standing in for a route that sends more than its contract says.
      app.addHook('onSend', async (request, reply, payload) => {
        if (request.headers['x-test-rogue'] === 'header') reply.header('x-debug-build', '1')
        if (request.headers['x-test-rogue'] === 'status') reply.code(418)
        return payload
      })
    }
  })
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
  t.same(checker.violations, [], 'the documented answer passes')
  await app.inject({ url: '/healthz', headers: { 'x-test-rogue': 'header' } })
  t.match(checker.violations, [/GET \/healthz -> 200: header x-debug-build is not declared/], 'an undeclared header is caught')
  checker.violations.length = 0
  await app.inject({ url: '/healthz', headers: { 'x-test-rogue': 'status' } })
  t.match(checker.violations, [/GET \/healthz -> 418: status not documented/], 'an undocumented status is caught')
})

t.test('names that last: operationId, summary, description, declared tag and security on every operation', async (t) => {
  const { document } = await loadContract()
  const declaredTags = new Set(document.tags.map((tag: { name: string }) => tag.name))
  const ids = new Set<string>()
  for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
    for (const [method, operation] of Object.entries<any>(item)) {
      const at = `${method} ${path}`
      t.match(operation.operationId, /^[a-z][A-Za-z0-9]+$/, `${at}: camelCase operationId`)
      t.notOk(ids.has(operation.operationId), `${at}: operationId is unique`)
      ids.add(operation.operationId)
      t.ok(operation.summary && operation.description, `${at}: summary and description`)
      t.ok(operation.tags.every((tag: string) => declaredTags.has(tag)), `${at}: its tags are declared`)
      t.ok(Array.isArray(operation.security), `${at}: says its security (empty when public)`)
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        if (Number(status) >= 400) t.ok(response.$ref || response.content?.['application/json'], `${at} ${status}: an Error body`)
      }
    }
  }
  t.same(document.servers, [{ url: '/', description: document.servers[0].description, 'x-internal': false }], 'a relative default server')
  for (const key of ['github', 'vercel', 'sanity', 'supabase', 'netlify']) {
    const body = document.paths[`/api/projects/{projectId}/integrations/${key}`].put.requestBody.content['application/json'].schema
    const component = document.components.schemas[body.$ref.split('/').pop()]
    t.match(component.properties.config.$ref, new RegExp(`/${key[0]!.toUpperCase()}${key.slice(1)}LinkConfig$`), `PUT ${key}: its own config only`)
  }
  t.notOk(document.paths['/api/integrations/actions'].get.parameters.find((p: any) => p.name === 'limit').required, 'limit has a default, so it is optional')
})

t.test('canonical header names in the contract; the server still reads them in any case', async (t) => {
  const { document } = await loadContract()
  const names = (path: string, method: string) => document.paths[path][method].parameters.filter((p: any) => p.in === 'header').map((p: any) => p.name)
  t.ok(names('/api/integrations/actions', 'post').includes('Idempotency-Key'))
  t.ok(names('/api/integrations/status', 'get').includes('If-None-Match'))
  t.ok(names('/api/integrations/events', 'get').includes('Last-Event-ID'))

  const { app, as } = await build(t)
  const post = (headers: Record<string, string>) => app.inject({
    method: 'POST',
    url: '/api/integrations/actions',
    headers: { ...as('owner', 'p_h'), ...headers },
    payload: { projectId: 'p_h', provider: 'github', action: 'no-such-action' }
  })
  const missing = await post({})
  t.equal(missing.statusCode, 400, 'no Idempotency-Key: 400')
  t.match(missing.json().details, [{ in: 'headers', path: '/', message: /idempotency-key/ }], 'the validator still names the header (lower-cased, as Fastify reads it)')
  const badValue = await post({ 'IDEMPOTENCY-KEY': 'not-a-uuid' })
  t.match(badValue.json().details, [{ in: 'headers', path: '/idempotency-key' }], 'a bad value in any spelling is checked')
  const lower = await post({ 'idempotency-key': '3b241101-e2bb-4255-8caf-4136c566a962' })
  t.not(lower.json().code, 'VALIDATION_FAILED', 'lower case passes validation')
  const canonical = await post({ 'Idempotency-Key': '4b241101-e2bb-4255-8caf-4136c566a962' })
  t.not(canonical.json().code, 'VALIDATION_FAILED', 'the canonical spelling passes validation')
})

t.test('a typed client generated from openapi.yaml drives the live service over HTTP', async (t) => {
  const { url, token } = await build(t, { listen: true })
  const owner = createIntegrationStatusClient({ baseUrl: url, token: token({ sub: 'u_owner', roles: { p_client: 'owner' } }) })

  const put = await owner.PUT('/api/projects/{projectId}/integrations/vercel', {
    params: { path: { projectId: 'p_client' } },
    body: { config: { projectId: 'prj_123', teamId: 'team_abc' }, credentials: { token: 'vercel-token' } }
  })
  t.equal(put.response.status, 201)
  t.equal(put.data?.key, 'vercel')

  const list = await owner.GET('/api/projects/{projectId}/integrations', { params: { path: { projectId: 'p_client' } } })
  t.equal(list.response.status, 200)
  t.same(list.data?.items.map((i) => i.key), ['vercel'])

  const patch = await owner.PATCH('/api/projects/{projectId}/integrations/{key}', {
    params: { path: { projectId: 'p_client', key: 'vercel' } },
    body: { enabled: false }
  })
  t.equal(patch.data?.enabled, false)

  const viewer = createIntegrationStatusClient({ baseUrl: url, token: token({ sub: 'u_viewer', roles: { p_client: 'viewer' } }) })
  const refused = await viewer.GET('/api/projects/{projectId}/integrations', { params: { path: { projectId: 'p_client' } } })
  t.equal(refused.response.status, 403)
  t.equal(refused.error?.code, 'FORBIDDEN', 'errors come back typed, with their stable code')

  const anonymous = createIntegrationStatusClient({ baseUrl: url })
  const ready = await anonymous.GET('/readyz')
  t.equal(ready.data?.status, 'ready')
  const unauthenticated = await anonymous.DELETE('/api/projects/{projectId}/integrations/{key}', { params: { path: { projectId: 'p_client', key: 'vercel' } } })
  t.equal(unauthenticated.error?.code, 'UNAUTHENTICATED')
})
