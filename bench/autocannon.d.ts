// The subset of autocannon 8's programmatic API the load generator uses (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  namespace autocannon {
    interface Request {
      method?: string
      path?: string
      headers?: Record<string, string>
      body?: string
      /** Called before every request built from this entry; return the request to send. */
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request
      /** Called with every response to a request built from this entry (header names as the server sent them). */
      onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void
    }

    interface Options {
      url: string
      connections?: number
      duration?: number
      amount?: number
      overallRate?: number
      timeout?: number
      pipelining?: number
      method?: string
      headers?: Record<string, string>
      requests?: Request[]
    }

    interface Result {
      duration: number
      errors: number
      timeouts: number
      resets: number
      non2xx: number
      statusCodeStats: Record<string, { count: number }>
    }

    interface Instance extends EventEmitter {
      stop (): void
      on (event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this
      on (event: 'reqError', listener: (error: Error) => void): this
      on (event: string, listener: (...args: any[]) => void): this
    }
  }

  function autocannon (options: autocannon.Options, callback: (error: Error | null, result: autocannon.Result) => void): autocannon.Instance

  export = autocannon
}
