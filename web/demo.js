// @ts-check
// The demo page: ?projectId=… picks the project (default p_demo); shows who is signed in.
const projectId = new URLSearchParams(location.search).get('projectId') ?? 'p_demo'
for (const id of ['bar', 'settings']) document.getElementById(id)?.setAttribute('project-id', projectId)
const who = document.getElementById('who')
fetch('/api/auth/session', { credentials: 'include' })
  .then((response) => (response.ok ? response.json() : null))
  .then((session) => {
    if (who) who.textContent = session ? `${session.sub} · ${session.roles[projectId] ?? 'no role'} on ${projectId}` : 'not signed in'
  })
  .catch(() => {})
