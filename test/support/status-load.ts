import { setTimeout as sleep } from 'node:timers/promises'

export interface StatusLoad {
  /** Every answer's status code, in order. */
  codes: number[]
  /** Answers other than 200, with what they said. */
  failures: string[]
  /** Stops the loops and waits for the requests in flight. */
  stop(): Promise<void>
}

/**
 * A loop of real HTTP status requests per target (round the instances), until stopped: what a
 * fleet of status bars does to the service while a backing service goes away and comes back.
 */
export function statusLoad (targets: Array<{ url: string, headers: Record<string, string> }>, projectId: string, gapMs = 10): StatusLoad {
  const codes: number[] = []
  const failures: string[] = []
  const state = { running: true }
  const loops = targets.map(async ({ url, headers }) => {
    while (state.running) {
      try {
        const response = await fetch(`${url}/api/integrations/status?projectId=${projectId}`, { headers })
        const body = await response.text()
        codes.push(response.status)
        if (response.status !== 200) failures.push(`${response.status} ${body.slice(0, 300)}`)
      } catch (error) {
        codes.push(0)
        failures.push(`no answer: ${(error as Error).message}`)
      }
      await sleep(gapMs)
    }
  })
  return {
    codes,
    failures,
    async stop () {
      state.running = false
      await Promise.all(loops)
    }
  }
}
