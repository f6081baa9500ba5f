import t from 'tap'
import { sql } from 'kysely'
import { build, eachBackend } from '../helper.js'

const SECRET_TOKEN = 'ghp_SuperSecretTokenValue_0123456789abcdef'
const DB_PASSWORD = 'pg-password-never-shown'
const github = { config: { owner: 'acme', repo: 'site', branch: 'main' }, credentials: { token: SECRET_TOKEN } }

eachBackend(t, 'links: create, read, update, delete as an owner', async (t, backend) => {
  const { app, logs, as } = await build(t, { backend })
  const owner = as('owner', 'p_links')
  const url = '/api/projects/p_links/integrations/github'

  const created = await app.inject({ method: 'PUT', url, headers: owner, payload: github })
  t.equal(created.statusCode, 201, 'first PUT creates')
  const link = created.json()
  t.match(link, { projectId: 'p_links', key: 'github', config: github.config, enabled: true, hiddenFromRoles: [] })
  t.equal(link.credentials.present, true)
  t.match(link.credentials.fingerprint, /^hmac-sha256:[0-9a-f]{12}$/)

  const project = await app.db.selectFrom('projects').selectAll().where('id', '=', 'p_links').executeTakeFirst()
  t.ok(project, 'the project row was created on first link')

  const replaced = await app.inject({ method: 'PUT', url, headers: owner, payload: { ...github, config: { ...github.config, branch: 'release' } } })
  t.equal(replaced.statusCode, 200, 'second PUT replaces')
  t.equal(replaced.json().config.branch, 'release')
  t.equal(replaced.json().credentials.fingerprint, link.credentials.fingerprint, 'same token, same fingerprint')

  const patched = await app.inject({ method: 'PATCH', url, headers: owner, payload: { enabled: false, hiddenFromRoles: ['viewer'] } })
  t.equal(patched.statusCode, 200)
  t.match(patched.json(), { enabled: false, hiddenFromRoles: ['viewer'], config: { branch: 'release' } })

  await app.inject({ method: 'PUT', url: '/api/projects/p_links/integrations/sanity', headers: owner, payload: { config: { projectId: 'abc123', dataset: 'production' }, credentials: { token: 'sk-sanity' } } })
  const list = await app.inject({ method: 'GET', url: '/api/projects/p_links/integrations', headers: owner })
  t.equal(list.statusCode, 200)
  t.same(list.json().items.map((i: { key: string }) => i.key), ['github', 'sanity'], 'listed in provider order')

  const deleted = await app.inject({ method: 'DELETE', url, headers: owner })
  t.equal(deleted.statusCode, 204)
  t.equal(deleted.body, '')
  const again = await app.inject({ method: 'DELETE', url, headers: owner })
  t.equal(again.statusCode, 404)
  t.equal(again.json().code, 'LINK_NOT_FOUND')
  const after = await app.inject({ method: 'GET', url: '/api/projects/p_links/integrations', headers: owner })
  t.same(after.json().items.map((i: { key: string }) => i.key), ['sanity'])

  for (const response of [created, replaced, patched, list]) t.notMatch(response.body, SECRET_TOKEN, 'no response carries the token')
  t.ok(logs.length > 5, 'the app logged')
  t.notOk(logs.some((line) => line.includes(SECRET_TOKEN)), 'no log line carries the token')
})

eachBackend(t, 'links: credentials are encrypted at rest and bound to their row', async (t, backend) => {
  const { app, as } = await build(t, { backend })
  const owner = as('owner', 'p_enc')
  const databaseUrl = `postgres://postgres:${DB_PASSWORD}@db.example.supabase.co:5432/postgres`
  const res = await app.inject({
    method: 'PUT',
    url: '/api/projects/p_enc/integrations/supabase',
    headers: owner,
    payload: { config: { projectRef: 'abcdefghijklmnopqrst', databaseUrl }, credentials: { token: SECRET_TOKEN } }
  })
  t.equal(res.statusCode, 201)
  t.notMatch(res.body, DB_PASSWORD, 'the database password is not returned')
  t.equal(res.json().config.databaseUrl, 'postgres://postgres:***@db.example.supabase.co:5432/postgres', 'shown masked')

  const raw = await sql<{ row: string }>`select row_to_json(p)::text as row from project_integrations p`.execute(app.db)
  t.equal(raw.rows.length, 1)
  t.notMatch(raw.rows[0]!.row, SECRET_TOKEN, 'the stored row holds no plaintext token')
  t.notMatch(raw.rows[0]!.row, DB_PASSWORD, 'nor the database password')

  t.same(await app.integrationLinks.credentials('p_enc', 'supabase'), { token: SECRET_TOKEN, databaseUrl }, 'decrypts for provider calls')
  // A ciphertext moved to another row must not decrypt there (the row identity is authenticated).
  await app.inject({ method: 'PUT', url: '/api/projects/p_other/integrations/supabase', headers: { authorization: as('owner', 'p_other').authorization }, payload: { config: { projectRef: 'x' }, credentials: { token: 'other' } } })
  await sql`update project_integrations set credentials_encrypted = (select credentials_encrypted from project_integrations where project_id = 'p_enc') where project_id = 'p_other'`.execute(app.db)
  await t.rejects(app.integrationLinks.credentials('p_other', 'supabase'), 'a moved ciphertext fails authentication')
})

t.test('links: every role other than owner and admin is refused, whatever the method', async (t) => {
  const { app, as } = await build(t)
  const url = '/api/projects/p_roles/integrations/github'
  for (const role of ['owner', 'admin'] as const) {
    const put = await app.inject({ method: 'PUT', url, headers: as(role, 'p_roles'), payload: github })
    t.ok([200, 201].includes(put.statusCode), `${role} may link`)
    const list = await app.inject({ method: 'GET', url: '/api/projects/p_roles/integrations', headers: as(role, 'p_roles') })
    t.equal(list.statusCode, 200, `${role} may list`)
  }
  for (const role of ['editor', 'viewer'] as const) {
    for (const [method, payload] of [['GET', undefined], ['PUT', github], ['PATCH', { enabled: false }], ['DELETE', undefined]] as const) {
      const target = method === 'GET' ? '/api/projects/p_roles/integrations' : url
      const res = await app.inject({ method, url: target, headers: as(role, 'p_roles'), ...(payload ? { payload } : {}) })
      t.equal(res.statusCode, 403, `${role} ${method} is refused`)
      t.equal(res.json().code, 'FORBIDDEN')
    }
  }
  const still = await app.inject({ method: 'GET', url: '/api/projects/p_roles/integrations', headers: as('owner', 'p_roles') })
  t.equal(still.json().items[0].enabled, true, 'refused writes changed nothing')
})
