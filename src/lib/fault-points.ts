/**
 * Named points where a test can make this process die as a crash would: SIGKILL, so no shutdown
 * hook, no pending write and no answer gets out. Armed with `FAULT_POINT=<name>[,<name>…]`, read
 * once when this module loads; never armed when NODE_ENV=production, whatever FAULT_POINT says.
 * Unarmed (always, in production), a point costs one check of an empty set.
 */
export const FAULT_POINTS = [
  /** POST /api/integrations/actions: the Idempotency-Key is claimed, the action not stored yet. */
  'after-key-claim',
  /** The action is stored (committed), the 202 not written yet. */
  'after-action-stored',
  /** A runner holds the action (running, under its lease) and is about to call its executor. */
  'before-executor-run',
  /** The executor's provider calls are done, its result not stored yet. */
  'after-provider-call',
  /** A webhook delivery's id is claimed, its refreshes not done yet. */
  'after-webhook-claim'
] as const

export type FaultPoint = typeof FAULT_POINTS[number]

/** The points FAULT_POINT arms in this environment (none in production; unknown names ignored). */
export function armedFaultPoints (env: NodeJS.ProcessEnv): ReadonlySet<FaultPoint> {
  if (env.NODE_ENV === 'production' || !env.FAULT_POINT) return new Set()
  const names = env.FAULT_POINT.split(',').map((name) => name.trim())
  return new Set(FAULT_POINTS.filter((point) => names.includes(point)))
}

const armed = armedFaultPoints(process.env)

/** Kills this process here when the point is armed; otherwise does nothing. */
export function faultPoint (name: FaultPoint) {
  if (armed.size === 0 || !armed.has(name)) return
  // One JSON line, as the logger writes them, so a test can tell where the process died (writes
  // to a pipe or a file are synchronous in Node on Linux: the line is out before the kill).
  process.stdout.write(`${JSON.stringify({ level: 60, time: Date.now(), faultPoint: name, msg: 'fault point reached: killing this process' })}\n`)
  process.kill(process.pid, 'SIGKILL')
}
