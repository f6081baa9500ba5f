import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Action } from '../../src/schemas/action.js'
import type { LoggedEvent } from '../../src/events/event-log.js'
import type { SseMessage } from './sse.js'

/** An action record as the log stores it; `padBytes` makes the event that much bigger. */
export function fakeAction (projectId: string, n: number, padBytes = 0): Action {
  const at = new Date().toISOString()
  return {
    id: randomUUID(),
    projectId,
    provider: 'github',
    action: 'sync',
    params: { n, ...(padBytes > 0 ? { pad: 'x'.repeat(padBytes) } : {}) },
    status: 'pending',
    mode: 'inline',
    attempts: 0,
    createdAt: at,
    updatedAt: at
  }
}

/** Writes an action event through the real log and announces it, as the action store does. */
export async function emit (app: FastifyInstance, projectId: string, n: number, padBytes = 0): Promise<LoggedEvent> {
  const action = fakeAction(projectId, n, padBytes)
  const event = await app.db.transaction().execute((trx) => app.events.log.appendAction(trx, action))
  app.events.announce(event)
  return event
}

export const ids = (messages: SseMessage[]) => messages.filter((m) => m.event === 'action').map((m) => Number(m.id))

export const json = <T = any>(message: SseMessage) => JSON.parse(message.data ?? 'null') as T

/** Waits for a condition that other parts of the system make true, polling briefly. */
export async function eventually (check: () => boolean | Promise<boolean>, what: string, attempts = 400) {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`never happened: ${what}`)
}
