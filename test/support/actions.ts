import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { StatusApp } from './status-app.js'
import type { Action } from '../../src/schemas/action.js'

type Role = 'owner' | 'admin' | 'editor' | 'viewer'

export function post (s: StatusApp, body: Record<string, unknown>, { role = 'owner', key = randomUUID(), sub }: { role?: Role, key?: string | null, sub?: string } = {}) {
  const projectId = String(body.projectId)
  return s.app.inject({
    method: 'POST',
    url: '/api/integrations/actions',
    headers: { ...s.as(role, projectId, sub), ...(key === null ? {} : { 'idempotency-key': key }) },
    payload: body
  })
}

/**
 * Polls the action until it leaves pending/running (the runner works in the background). Up to
 * 800 polls (about 20 s): a takeover after a killed instance waits out a lease, which a loaded
 * two-core machine can stretch well past the 5 s this once allowed.
 */
export async function settled (s: StatusApp, id: string, role: Role = 'owner', projectId?: string): Promise<Action> {
  for (let i = 0; i < 800; i++) {
    const action = await s.app.actions.get(id)
    if (action && (action.status === 'succeeded' || action.status === 'failed')) {
      if (projectId) {
        const fetched = await s.app.inject({ url: `/api/integrations/actions/${id}`, headers: s.as(role, projectId) })
        return fetched.json<Action>()
      }
      return action
    }
    await sleep(25)
  }
  throw new Error(`action ${id} did not finish`)
}

/**
 * After an outage: posts a GitHub sync until one is accepted (a connection may reconnect on its
 * own schedule), and checks every answer before that was a 503.
 */
export async function acceptedAfterOutage (t: import('tap').Test, s: StatusApp, projectId: string, what: string) {
  const { eventually } = await import('./events.js')
  let accepted: Action | undefined
  const retries: number[] = []
  await eventually(async () => {
    const response = await post(s, { projectId, provider: 'github', action: 'sync' }, { sub: 'u_after_outage' })
    if (response.statusCode === 202) accepted = response.json<Action>()
    else retries.push(response.statusCode)
    return accepted !== undefined
  }, what, 100)
  t.same(retries.filter((code) => code !== 503), [], 'before that, only 503s')
  t.ok(accepted?.id, `accepted again without restarting the service (after ${retries.length} early retries)`)
  return accepted!
}
