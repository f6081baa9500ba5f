import zlib from 'node:zlib'
import type { ServerResponse } from 'node:http'

export type StreamEncoding = 'gzip' | 'deflate'

export type CloseReason = 'client' | 'slow' | 'shutdown' | 'expired' | 'error'

/**
 * One SSE frame (a complete `...\n\n` block), compressed at most once however many streams it
 * goes to. Each frame is compressed on its own by a fresh raw-deflate compressor ending in a sync
 * flush: its blocks never refer to earlier data and end byte-aligned, so the same bytes are a valid
 * continuation of any stream's deflate data. A stream then costs no compressor at all (a zlib
 * stream per connection costs ~100 KiB in Node, 1 GB for 10,000 streams), and an event is
 * compressed once per role instead of once per client.
 */
export class Frame {
  readonly text: string
  private deflated?: Buffer

  constructor (text: string) {
    this.text = text
  }

  compressed (): Buffer {
    this.deflated ??= zlib.deflateRawSync(this.text, { level: 6, finishFlush: zlib.constants.Z_SYNC_FLUSH })
    return this.deflated
  }
}

export const HEARTBEAT = new Frame(':hb\n\n')

// The member/stream headers before the first deflate block. gzip: ID1 ID2, CM=8, no flags,
// no mtime, XFL 0, OS unknown. zlib: CMF 0x78 (32 KiB window), FLG 0x9c (default level, check bits).
const HEADERS: Record<StreamEncoding, Buffer> = {
  gzip: Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]),
  deflate: Buffer.from([0x78, 0x9c])
}

export interface SseConnectionOptions {
  encoding?: StreamEncoding
  /** Unsent bytes beyond which the client is dropped as too slow. */
  maxBufferBytes: number
  onClose (reason: CloseReason): void
}

/** The encoding to answer with, from Accept-Encoding: gzip preferred, q=0 respected. */
export function negotiateEncoding (header: string | undefined): StreamEncoding | undefined {
  if (!header) return undefined
  const accepted = new Map<string, number>()
  for (const part of header.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    accepted.set(name!.trim(), q === undefined ? 1 : Number(q.slice(2)) || 0)
  }
  const weight = (name: string) => accepted.get(name) ?? (accepted.has('*') ? accepted.get('*')! : 0)
  if (weight('gzip') > 0) return 'gzip'
  if (weight('deflate') > 0) return 'deflate'
  return undefined
}

/**
 * One open event stream: writes frames (compressed when negotiated; each frame is complete and
 * decodable on arrival) and drops the client when it stops reading (its unsent bytes pass the
 * bound) rather than buffering without end or slowing every other stream.
 *
 * A compressed stream ends without the gzip/zlib trailer (its checksum would need every byte the
 * stream carried): decoders report the end as truncated, which an EventSource treats like any
 * end of stream, by reconnecting. Every frame before it has been decoded already.
 */
export class SseConnection {
  private readonly raw: ServerResponse
  private readonly encoding?: StreamEncoding
  private readonly maxBufferBytes: number
  private readonly onClose: (reason: CloseReason) => void
  closed = false

  constructor (raw: ServerResponse, options: SseConnectionOptions) {
    this.raw = raw
    this.maxBufferBytes = options.maxBufferBytes
    this.onClose = options.onClose
    if (options.encoding) {
      this.encoding = options.encoding
      raw.write(HEADERS[options.encoding])
    }
    raw.on('close', () => this.end('client'))
    raw.on('error', () => this.end('error'))
  }

  /** Bytes written but not yet taken by the kernel. */
  get buffered () {
    return this.raw.writableLength
  }

  private bytes (frame: Frame) {
    return this.encoding ? frame.compressed() : frame.text
  }

  /** Sends one frame; false when the stream is gone or was dropped. */
  write (frame: Frame): boolean {
    if (this.closed) return false
    // What is still unsent decides, not the new frame: a frame larger than the bound still goes
    // to a client that keeps up, and memory stays within the bound plus one frame.
    if (this.buffered > this.maxBufferBytes) {
      this.end('slow')
      return false
    }
    this.raw.write(this.bytes(frame))
    return true
  }

  /** Ends the stream after a last frame (e.g. a `retry:` hint), letting written data drain. */
  finish (lastFrame: Frame, reason: CloseReason) {
    if (this.closed) return
    this.raw.end(this.bytes(lastFrame))
    this.settle(reason)
  }

  /** Drops the stream at once. */
  end (reason: CloseReason) {
    if (this.closed) return
    this.settle(reason)
    if (reason === 'client') return
    this.raw.destroy()
  }

  private settle (reason: CloseReason) {
    this.closed = true
    this.onClose(reason)
  }
}
