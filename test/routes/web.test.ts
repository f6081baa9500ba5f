import t from 'tap'
import { build } from '../helper.js'
import { TEST_CREDENTIALS_KEY, TEST_JWT_SECRET } from '../helper.js'

t.test('/ui/: the browser client, components and demo page', async (t) => {
  const s = await build(t)
  const js = await s.app.inject({ url: '/ui/status-client.js' })
  t.equal(js.statusCode, 200)
  t.match(js.headers['content-type'], /^text\/javascript/)
  t.match(js.body, /export function createStatusClient/)
  t.equal((await s.app.inject({ url: '/ui/status-client.js', headers: { 'if-none-match': String(js.headers.etag) } })).statusCode, 304, 'ETag revalidation')
  const page = await s.app.inject({ url: '/ui/demo.html' })
  t.match(page.headers['content-security-policy'], /script-src 'self'/, 'the page runs only its own scripts')
  t.equal((await s.app.inject({ url: '/ui/' })).headers.location, '/ui/demo.html')
  for (const name of ['nope.js', '..%2Fpackage.json', 'tsconfig.json']) {
    const missing = await s.app.inject({ url: `/ui/${name}` })
    t.equal(missing.statusCode, 404, `${name}: only the listed assets`)
    t.equal(missing.json().code, 'ROUTE_NOT_FOUND')
  }
})

t.test('GET /api/dev/login', async (t) => {
  t.test('off by default', async (t) => {
    const s = await build(t)
    const response = await s.app.inject({ url: '/api/dev/login?projectId=p_x&role=owner' })
    t.equal(response.statusCode, 403)
    t.equal(response.json().code, 'DEV_LOGIN_DISABLED')
    t.notOk(response.headers['set-cookie'], 'no session')
  })

  t.test('refused in production even when switched on', async (t) => {
    const s = await build(t, { env: { DEV_LOGIN: 'true', NODE_ENV: 'production', AUTH_JWT_SECRET: TEST_JWT_SECRET, CREDENTIALS_KEY: TEST_CREDENTIALS_KEY } })
    const response = await s.app.inject({ url: '/api/dev/login' })
    t.equal(response.statusCode, 403)
    t.equal(response.json().code, 'DEV_LOGIN_DISABLED')
  })

  t.test('on: sets a working session and redirects within this service only', async (t) => {
    const s = await build(t, { env: { DEV_LOGIN: 'true' } })
    const response = await s.app.inject({ url: '/api/dev/login?projectId=p_dev&role=editor&sub=u_dev' })
    t.equal(response.statusCode, 302)
    t.equal(response.headers.location, '/ui/demo.html?projectId=p_dev')
    const cookies = Object.fromEntries(response.cookies.map((c) => [c.name, c.value]))
    const session = await s.app.inject({ url: '/api/auth/session', cookies })
    t.match(session.json(), { sub: 'u_dev', roles: { p_dev: 'editor' }, via: 'cookie' })
    for (const redirect of ['//evil.example/x', 'https://evil.example/', '/\\evil']) {
      const refused = await s.app.inject({ url: `/api/dev/login?redirect=${encodeURIComponent(redirect)}` })
      t.equal(refused.statusCode, 400, `${redirect}: no open redirect`)
    }
  })
})
