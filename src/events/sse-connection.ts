import zlib from 'node:zlib'
import type { ServerResponse } from 'node:http'

export type StreamEncoding = 'gzip' | 'deflate'

export type CloseReason = 'client' | 'slow' | 'shutdown' | 'expired' | 'error'

export interface SseConnectionOptions {
  encoding?: StreamEncoding
  /** Unsent bytes (ours plus the socket's) beyond which the client is dropped as too slow. */
  maxBufferBytes: number
  onClose (reason: CloseReason): void
}

// A stream of small JSON events compresses well with a small window; zlib's defaults (32 KiB
// window, memLevel 8) would cost ~256 KiB per open stream, which 10,000 streams cannot afford.
const ZLIB_OPTIONS: zlib.ZlibOptions = { level: 6, windowBits: 12, memLevel: 5 }

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
 * One open event stream: writes frames, compressed and flushed one by one when asked for, and
 * drops the client when it stops reading (its unsent bytes pass the bound) rather than buffering
 * without end or slowing every other stream.
 */
export class SseConnection {
  private readonly raw: ServerResponse
  private readonly zip?: zlib.Gzip | zlib.Deflate
  private readonly maxBufferBytes: number
  private readonly onClose: (reason: CloseReason) => void
  closed = false

  constructor (raw: ServerResponse, options: SseConnectionOptions) {
    this.raw = raw
    this.maxBufferBytes = options.maxBufferBytes
    this.onClose = options.onClose
    if (options.encoding) {
      this.zip = options.encoding === 'gzip' ? zlib.createGzip(ZLIB_OPTIONS) : zlib.createDeflate(ZLIB_OPTIONS)
      this.zip.on('data', (chunk: Buffer) => { if (!raw.destroyed) raw.write(chunk) })
      this.zip.on('error', () => this.end('error'))
    }
    raw.on('close', () => this.end('client'))
    raw.on('error', () => this.end('error'))
  }

  /** Bytes written but not yet taken by the kernel. */
  get buffered () {
    return this.raw.writableLength + (this.zip ? this.zip.writableLength + this.zip.readableLength : 0)
  }

  /** Sends one frame (a complete `...\n\n` block); false when the stream is gone or was dropped. */
  write (frame: string): boolean {
    if (this.closed) return false
    // What is still unsent decides, not the new frame: a frame larger than the bound still goes
    // to a client that keeps up, and memory stays within the bound plus one frame.
    if (this.buffered > this.maxBufferBytes) {
      this.end('slow')
      return false
    }
    if (this.zip) {
      this.zip.write(frame)
      // A sync flush after every frame: the client can decode it now, not when a block fills.
      this.zip.flush(zlib.constants.Z_SYNC_FLUSH)
    } else {
      this.raw.write(frame)
    }
    return true
  }

  /** Ends the stream after a last frame (e.g. a `retry:` hint), letting written data drain. */
  finish (lastFrame: string, reason: CloseReason) {
    if (this.closed) return
    if (this.zip) {
      // After the compressor's last bytes have been handed to the response, not before.
      this.zip.once('end', () => this.raw.end())
      this.zip.end(lastFrame)
    } else {
      this.raw.end(lastFrame)
    }
    this.settle(reason)
  }

  /** Drops the stream at once. */
  end (reason: CloseReason) {
    if (this.closed) return
    this.settle(reason)
    this.zip?.destroy()
    if (reason === 'client') return
    this.raw.destroy()
  }

  private settle (reason: CloseReason) {
    this.closed = true
    this.onClose(reason)
  }
}
