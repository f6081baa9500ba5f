// @ts-check
// The demo page: ?projectId=… picks the project (default p_demo), ?theme=light|dark forces a theme,
// ?lang=de a language; shows who is signed in.
const query = new URLSearchParams(location.search)
const projectId = query.get('projectId') ?? 'p_demo'
const theme = query.get('theme')
const lang = query.get('lang')
if (lang) document.documentElement.lang = lang
if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme
for (const id of ['bar', 'settings']) {
  const element = document.getElementById(id)
  if (theme === 'light' || theme === 'dark') element?.setAttribute('theme', theme)
  element?.setAttribute('project-id', projectId)
}
const who = document.getElementById('who')
fetch('/api/auth/session', { credentials: 'include' })
  .then((response) => (response.ok ? response.json() : null))
  .then((session) => {
    if (who) who.textContent = session ? `${session.sub} · ${session.roles[projectId] ?? 'no role'} on ${projectId}` : 'not signed in'
  })
  .catch(() => {})
