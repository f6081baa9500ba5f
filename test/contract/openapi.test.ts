import t from 'tap'
import { readFile } from 'node:fs/promises'
import { Validator } from '@seriousme/openapi-schema-validator'
import { createIntegrationStatusClient } from '../../src/client/index.js'
import { generateOpenApiDocument, toClientTypes, toYaml } from '../../src/openapi-document.js'
import { build } from '../helper.js'
import { createContractChecker, loadContract } from './contract-checker.js'

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8')

t.test('the committed openapi.yaml and client types are what the code generates', async (t) => {
  const document = await generateOpenApiDocument()
  t.equal(await read('openapi.yaml'), toYaml(document), 'openapi.yaml is current (run `npm run openapi`)')
  t.equal(await read('src/client/openapi.d.ts'), await toClientTypes(document), 'client types are current (run `npm run openapi`)')
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
})

t.test('a typed client generated from openapi.yaml drives the live service over HTTP', async (t) => {
  const { url, token } = await build(t, { listen: true })
  const owner = createIntegrationStatusClient({ baseUrl: url, token: token({ sub: 'u_owner', roles: { p_client: 'owner' } }) })

  const put = await owner.PUT('/api/projects/{projectId}/integrations/{key}', {
    params: { path: { projectId: 'p_client', key: 'vercel' } },
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
