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

/** Polls the action until it leaves pending/running (the runner works in the background). */
export async function settled (s: StatusApp, id: string, role: Role = 'owner', projectId?: string): Promise<Action> {
  for (let i = 0; i < 200; i++) {
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
