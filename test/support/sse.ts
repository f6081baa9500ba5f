import http from 'node:http'
import zlib from 'node:zlib'
import type { Readable } from 'node:stream'

/** One parsed SSE block: a comment (`:hb`) or an event with its fields. */
export interface SseMessage {
  comment?: string
  id?: string
  event?: string
  data?: string
  retry?: number
}

export interface RawStream {
  status: number
  headers: http.IncomingHttpHeaders
  /** Every message so far, in arrival order. */
  messages: SseMessage[]
  /** Resolves with the next message not yet taken (waits for it). */
  next(): Promise<SseMessage>
  /** Takes messages until one matches; resolves with it (the ones before are skipped). */
  until(match: (message: SseMessage) => boolean): Promise<SseMessage>
  /** Resolves when the server ends the response. */
  ended: Promise<void>
  /** The error body, when the answer was not a stream. */
  body?: string
  close(): void
}

/** Splits SSE text into messages; keeps the unfinished tail. */
export function parseSse (text: string): { messages: SseMessage[], rest: string } {
  const messages: SseMessage[] = []
  const blocks = text.split('\n\n')
  const rest = blocks.pop()!
  for (const block of blocks) {
    const message: SseMessage = {}
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) { message.comment = line.slice(1); continue }
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'data') message.data = message.data === undefined ? value : `${message.data}\n${value}`
      else if (field === 'id') message.id = value
      else if (field === 'event') message.event = value
      else if (field === 'retry') message.retry = Number(value)
    }
    messages.push(message)
  }
  return { messages, rest }
}

/**
 * A raw HTTP client for the event stream: no EventSource, so tests see the wire itself
 * (comments, `retry:`, compression) and decide exactly when to read.
 */
export function openRawStream (url: string, headers: Record<string, string> = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      const messages: SseMessage[] = []
      const waiting: Array<() => void> = []
      let taken = 0
      let rest = ''
      let body = ''
      const encoding = response.headers['content-encoding']
      const source: Readable = encoding === 'gzip' ? response.pipe(zlib.createGunzip()) : encoding === 'deflate' ? response.pipe(zlib.createInflate()) : response
      const isStream = String(response.headers['content-type']).startsWith('text/event-stream')
      let endedResolve: () => void
      const ended = new Promise<void>((resolve) => { endedResolve = resolve })
      source.on('data', (chunk: Buffer) => {
        if (!isStream) { body += chunk.toString(); return }
        const parsed = parseSse(rest + chunk.toString())
        rest = parsed.rest
        messages.push(...parsed.messages)
        for (const wake of waiting.splice(0)) wake()
      })
      const finish = () => {
        endedResolve()
        for (const wake of waiting.splice(0)) wake()
      }
      source.on('end', finish)
      source.on('error', finish)
      response.on('close', finish)
      let done = false
      ended.then(() => { done = true }).catch(() => {})
      const next = async (): Promise<SseMessage> => {
        while (taken >= messages.length) {
          if (done) throw new Error(`stream ended after ${messages.length} messages`)
          await new Promise<void>((resolve) => waiting.push(resolve))
        }
        return messages[taken++]!
      }
      const stream: RawStream = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        messages,
        next,
        async until (match) {
          for (;;) {
            const message = await next()
            if (match(message)) return message
          }
        },
        ended,
        close: () => { request.destroy() }
      }
      if (isStream) resolve(stream)
      else source.on('end', () => resolve(Object.assign(stream, { body })))
    })
    request.on('error', reject)
  })
}
