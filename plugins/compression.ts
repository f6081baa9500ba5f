import fp from 'fastify-plugin'
import compress from '@fastify/compress'

/** swagger-ui's assets (JavaScript and CSS of several hundred KB) are compressed without asking. */
const DOCS_PREFIX = '/docs'

/**
 * @fastify/compress for the responses where it pays: routes that ask for it with
 * `config: { compress: {} }` (the actions list, `openapi.json`) and the docs assets. Opt-in, not
 * global: the plugin otherwise adds an onRequest hook (and a preParsing one, for request bodies) to
 * every route, small answers do not shrink, the status route serves its own pre-compressed
 * variants, and the event stream compresses its frames itself (src/events/sse-connection.ts).
 * gzip and brotli (quality 4: brotli's default 11 costs far more CPU than it saves bytes here),
 * bodies of 1 KiB and more, with `Vary: Accept-Encoding`.
 */
export default fp(async function compressionPlugin (fastify) {
  // Runs before @fastify/compress's own onRoute hook (registered after it): routes that did not
  // opt in are marked `false`, which that hook leaves alone.
  fastify.addHook('onRoute', (route) => {
    // (`config.compress`, when set, is read by @fastify/compress itself and wins over this.)
    route.compress ??= route.url.startsWith(`${DOCS_PREFIX}/`) ? {} : false
    route.decompress = false
  })
  await fastify.register(compress, { global: false, encodings: ['br', 'gzip'], threshold: 1024 })
}, { name: 'compression', fastify: '5.x' })
