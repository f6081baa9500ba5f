import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyReply } from 'fastify'
import type { Validity } from '../aggregator/aggregator.js'
import { negotiateCoding, type Coding } from '../lib/accept-encoding.js'
import { appendVary } from '../lib/vary.js'

/**
 * Status bodies are a few KB: brotli at quality 5 gets most of quality 11's gain for a small
 * fraction of its CPU, and each variant is made once per distinct body.
 */
const BROTLI_OPTIONS = { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } }

/**
 * A body serialized once, and each compressed variant made the first time a client asks for it
 * (lazily: most (project, role) bodies are only ever asked for in one or two codings).
 */
export class EncodedBody {
  private gzip: Buffer | undefined
  private br: Buffer | undefined

  constructor (readonly identity: Buffer) {}

  get (coding: Coding): Buffer {
    switch (coding) {
      case 'br': return (this.br ??= brotliCompressSync(this.identity, { ...BROTLI_OPTIONS, params: { ...BROTLI_OPTIONS.params, [constants.BROTLI_PARAM_SIZE_HINT]: this.identity.length } }))
      case 'gzip': return (this.gzip ??= gzipSync(this.identity))
      default: return this.identity
    }
  }
}

/** Everything one (project, role) status answer sends, ready to write without awaiting anything. */
export interface StatusAnswer extends Validity {
  etag: string
  /** The Events-Position header, read before the envelope was built; undefined = left out. */
  position: string | undefined
  body: EncodedBody
}

/** True when an If-None-Match list names the tag, compared weakly (RFC 9110 §13.1.2). */
export function matchesIfNoneMatch (header: string | undefined, etag: string) {
  if (!header) return false
  const opaque = etag.charCodeAt(0) === 87 /* W */ ? etag.slice(2) : etag
  // The common case: a client sending back exactly the tag it got.
  if (header === etag || header === opaque) return true
  return header.split(',').some((candidate) => {
    const tag = candidate.trim()
    return tag === '*' || tag.replace(/^W\//, '') === opaque
  })
}

/** Per caller (a shared cache must not hand one user's view to another), and per coding. */
const VARY = ['Authorization', 'Cookie', 'Accept-Encoding']
const VARY_ALONE = VARY.join(', ')
/** After the `Vary: Origin` the CORS hook sets while origins are allowed: merged once, not per request. */
const VARY_AFTER_ORIGIN = appendVary('Origin', VARY)

/**
 * Answers from a ready snapshot, synchronously: 304 when If-None-Match names its tag (with the
 * headers a 200 would carry, RFC 9110 §15.4.5), else the body in the best coding the client takes.
 */
export function sendAnswer (reply: FastifyReply, answer: StatusAnswer, headers: IncomingHttpHeaders): void {
  const existing = reply.getHeader('vary')
  const vary = existing === undefined ? VARY_ALONE : existing === 'Origin' ? VARY_AFTER_ORIGIN : appendVary(existing, VARY)
  if (answer.position !== undefined) reply.header('events-position', answer.position)
  reply.header('etag', answer.etag).header('cache-control', 'private, no-cache').header('vary', vary)
  // No body at all (not even "null"): a 304 carries only headers.
  if (matchesIfNoneMatch(headers['if-none-match'], answer.etag)) {
    reply.code(304).send()
    return
  }
  const coding = negotiateCoding(headers['accept-encoding'])
  const bytes = answer.body.get(coding)
  if (coding !== 'identity') reply.header('content-encoding', coding)
  reply.header('content-type', 'application/json; charset=utf-8').header('content-length', bytes.length).send(bytes)
}
