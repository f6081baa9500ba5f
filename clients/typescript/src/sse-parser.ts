/**
 * A streaming `text/event-stream` parser following the WHATWG HTML "server-sent events" rules
 * (line endings CRLF/LF/CR, `data` lines joined with LF, `id` kept across events and ignored
 * when it holds U+0000, `retry` only when all digits, comments and unknown fields skipped).
 * It parses what fetch() hands over, so it runs unchanged in Node 20 and browsers.
 */

export interface SseMessage {
  /** The `event:` field, `message` when absent. */
  event: string
  data: string
  /** The stream's last event id once this message is dispatched ('' when none was ever sent). */
  lastEventId: string
}

export interface SseParserCallbacks {
  message(message: SseMessage): void
  /** A valid `retry:` field: the reconnection time in milliseconds. */
  retry?(ms: number): void
}

export class SseParser {
  /** The last event id seen so far, even on a message without data (the spec's rule). */
  lastEventId: string
  private buffer = ''
  private afterCr = false
  private data = ''
  private hasData = false
  private event = ''
  private idBuffer: string

  constructor (private readonly callbacks: SseParserCallbacks, lastEventId = '') {
    this.lastEventId = lastEventId
    this.idBuffer = lastEventId
  }

  /** Feeds decoded text; complete lines are processed, the unfinished tail is kept. */
  feed (text: string): void {
    let chunk = text
    // A CR ending the previous chunk may be the first half of a CRLF.
    if (this.afterCr && chunk.startsWith('\n')) chunk = chunk.slice(1)
    this.afterCr = false
    this.buffer += chunk
    let start = 0
    for (let i = 0; i < this.buffer.length; i++) {
      const char = this.buffer[i]
      if (char !== '\n' && char !== '\r') continue
      this.line(this.buffer.slice(start, i))
      if (char === '\r') {
        if (i + 1 === this.buffer.length) this.afterCr = true
        else if (this.buffer[i + 1] === '\n') i++
      }
      start = i + 1
    }
    this.buffer = this.buffer.slice(start)
  }

  /** Drops a half-received message, as the spec does when the connection ends. */
  reset (): void {
    this.buffer = ''
    this.afterCr = false
    this.data = ''
    this.hasData = false
    this.event = ''
  }

  private line (line: string) {
    if (line === '') return this.dispatch()
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (field) {
      case 'event': this.event = value; break
      case 'data':
        this.data = this.hasData ? `${this.data}\n${value}` : value
        this.hasData = true
        break
      case 'id': if (!value.includes('\u0000')) this.idBuffer = value; break
      case 'retry': if (/^[0-9]+$/.test(value)) this.callbacks.retry?.(Number(value)); break
    }
  }

  private dispatch () {
    this.lastEventId = this.idBuffer
    if (this.hasData) this.callbacks.message({ event: this.event || 'message', data: this.data, lastEventId: this.lastEventId })
    this.data = ''
    this.hasData = false
    this.event = ''
  }
}
