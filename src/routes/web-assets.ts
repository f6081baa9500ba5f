import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { extname, join } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'
import { AppError } from '../errors.js'

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8'
}

/** web/ from src/routes (tsx) or dist/src/routes (compiled). */
function webDirectory () {
  for (const up of ['../../web/', '../../../web/']) {
    const dir = fileURLToPath(new URL(up, import.meta.url))
    if (existsSync(join(dir, 'status-client.js'))) return dir
  }
  throw new Error('web/ (the browser client and components) not found next to the service')
}

// The demo page's own scripts only; shadow DOM styles are inline <style> elements.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/**
 * The browser client, the web components and the demo page, at /ui/. Files are read once at boot
 * into memory, by name from a fixed list (no path ever reaches the file system), each with a
 * content hash as ETag.
 */
const webAssetsRoutes: FastifyPluginAsync = async (fastify) => {
  const dir = webDirectory()
  const files = new Map<string, { body: Buffer, type: string, etag: string }>()
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)]
    if (!type) continue
    const body = readFileSync(join(dir, name))
    files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` })
  }

  fastify.get('/ui/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/ui/demo.html'))

  fastify.get<{ Params: { file: string } }>('/ui/:file', { schema: { hide: true } }, async (request, reply) => {
    const file = files.get(request.params.file)
    if (!file) throw new AppError('ROUTE_NOT_FOUND', `No asset ${request.params.file} under /ui/`)
    reply.header('etag', file.etag).header('cache-control', 'no-cache').type(file.type)
    if (file.type.startsWith('text/html')) reply.header('content-security-policy', CSP)
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send()
    return reply.send(file.body)
  })
}

export default webAssetsRoutes
