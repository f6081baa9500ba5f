import { readFile } from 'node:fs/promises'
import type { OutgoingHttpHeaders } from 'node:http'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { parse } from 'yaml'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { FastifyReply, FastifyRequest } from 'fastify'

const DOCUMENT_ID = 'openapi.json'

/** A ready-made (possibly pre-compressed) body, as the client will read it. */
function decoded (payload: Buffer, encoding: unknown) {
  if (encoding === 'br') return brotliDecompressSync(payload).toString('utf8')
  if (encoding === 'gzip') return gunzipSync(payload).toString('utf8')
  return payload.toString('utf8')
}
let loaded: Promise<{ document: any, ajv: Ajv2020, headerAjv: Ajv2020 }> | undefined

/** The committed openapi.yaml, compiled once per process. */
export function loadContract () {
  loaded ??= (async () => {
    const document = parse(await readFile(new URL('../../openapi.yaml', import.meta.url), 'utf8'))
    const ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats.default(ajv)
    ajv.addSchema(document, DOCUMENT_ID)
    // Header values are text on the wire: "5" is the integer 5 (coerced as clients read it).
    const headerAjv = new Ajv2020({ strict: false, allErrors: true, coerceTypes: true })
    addFormats.default(headerAjv)
    return { document, ajv, headerAjv }
  })()
  return loaded
}

/**
 * Headers a response may carry without the contract naming them: the message framing HTTP itself
 * manages (generated clients never read them), and Content-Type, which is checked against the
 * response's documented media types instead. Everything else must be declared on the response.
 */
export const UNDECLARED_HEADERS_ALLOWED = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-type'])

const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')

/** Turns Fastify's /a/:b into OpenAPI's /a/{b}. */
export const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}')

/** Follows a local $ref ("#/components/responses/Error400"), once or more. */
function deref (document: any, node: any): any {
  let current = node
  while (current?.$ref?.startsWith('#/')) {
    current = current.$ref.slice(2).split('/').reduce((at: any, part: string) => at?.[part.replaceAll('~1', '/').replaceAll('~0', '~')], document)
  }
  return current
}

const asValues = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [String(value)])

/**
 * Checks each response of the app against the documented operation for its route: the status is
 * documented, every header it sends is declared (or in UNDECLARED_HEADERS_ALLOWED) and matches
 * its schema, the Content-Type is a documented media type, and a JSON body matches its schema.
 * Collects violations; the test helper fails the test when any occurred.
 */
export async function createContractChecker () {
  const { document, ajv, headerAjv } = await loadContract()
  const violations: string[] = []
  const headerValidators = new Map<string, ValidateFunction>()

  /** The documented response, or undefined when the route is undocumented on purpose (hidden). */
  function documented (method: string, route: string | undefined, status: number): { path?: string, response?: any, hidden?: boolean } {
    if (route === undefined) return { response: deref(document, { $ref: '#/components/responses/Error404' }) }
    const path = openApiPath(route)
    // Fastify answers HEAD from the GET route; its statuses must be GET's.
    const operation = document.paths?.[path]?.[method === 'HEAD' ? 'get' : method.toLowerCase()]
    if (!operation) return { path, hidden: true }
    const raw = operation.responses?.[String(status)]
    return { path, response: raw && deref(document, raw) }
  }

  const where = (method: string, route: string | undefined, status: number) =>
    `${method} ${route === undefined ? '(no route)' : openApiPath(route)} -> ${status}`

  function validateHeader (schema: unknown, value: string) {
    const key = JSON.stringify(schema)
    let validate = headerValidators.get(key)
    if (!validate) {
      validate = headerAjv.compile({ type: 'object', properties: { value: schema } })
      headerValidators.set(key, validate)
    }
    return validate({ value }) ? undefined : headerAjv.errorsText(validate.errors, { dataVar: 'header' })
  }

  /** The status and headers, as they leave (every response, whatever writes it). */
  function checkHead (method: string, route: string | undefined, status: number, headers: OutgoingHttpHeaders) {
    const at = where(method, route, status)
    const { response, hidden } = documented(method, route, status)
    if (hidden) return
    if (!response) {
      violations.push(`${at}: status not documented`)
      return
    }
    const declared = new Map<string, any>()
    for (const [name, header] of Object.entries<any>(response.headers ?? {})) declared.set(name.toLowerCase(), deref(document, header))
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue
      const lower = name.toLowerCase()
      if (UNDECLARED_HEADERS_ALLOWED.has(lower)) continue
      const header = declared.get(lower)
      if (!header) {
        violations.push(`${at}: header ${lower} is not declared`)
        continue
      }
      for (const one of asValues(value)) {
        const problem = header.schema ? validateHeader(header.schema, one) : undefined
        if (problem) violations.push(`${at}: header ${lower}: ${JSON.stringify(one)} ${problem}`)
      }
    }
    const type = headers['content-type'] === undefined ? undefined : String(headers['content-type']).split(';')[0]!.trim().toLowerCase()
    if (type !== undefined && status !== 204 && status !== 304) {
      const media = Object.keys(response.content ?? {})
      if (media.length > 0 && !media.includes(type)) violations.push(`${at}: content-type ${type} is not one of ${media.join(', ')}`)
      if (media.length === 0 && Number(headers['content-length'] ?? 0) > 0) violations.push(`${at}: a ${type} body where none is documented`)
    }
  }

  /** A JSON body against the documented schema (the status itself is checkHead's). */
  function checkBody (method: string, route: string | undefined, status: number, body: unknown) {
    const at = where(method, route, status)
    const { path, response, hidden } = documented(method, route, status)
    if (hidden || !response?.content?.['application/json']) return
    // Where the response lives in the document: the operation's own, or the shared one it points at.
    const operationMethod = method === 'HEAD' ? 'get' : method.toLowerCase()
    const own = path === undefined ? { $ref: '#/components/responses/Error404' } : document.paths[path][operationMethod].responses[String(status)]
    const base = typeof own?.$ref === 'string' ? own.$ref.slice(1) : `/${pointer('paths', path!, operationMethod, 'responses', String(status))}`
    const target = `${DOCUMENT_ID}#${base}/content/application~1json/schema`
    const validate = ajv.getSchema(target) ?? ajv.compile({ $ref: target })
    if (!validate(body)) violations.push(`${at}: ${ajv.errorsText(validate.errors)}`)
  }

  /** Both, for one response given by hand (tests of the checker itself). */
  function check (method: string, route: string | undefined, status: number, body: unknown, headers: OutgoingHttpHeaders = { 'content-type': 'application/json; charset=utf-8' }) {
    checkHead(method, route, status, headers)
    checkBody(method, route, status, body)
  }

  /** One parsed event-stream message against the StreamEvent union (its `data:` line parsed as JSON). */
  function checkStreamMessage (message: { event?: string, id?: string, data?: string, retry?: number }) {
    if (message.event === undefined) return // a comment (:hb) or a bare retry: hint
    let data: unknown
    try {
      data = JSON.parse(message.data ?? '')
    } catch {
      violations.push(`event ${message.event}: data is not JSON`)
      return
    }
    const item = { event: message.event, data, ...(message.id === undefined ? {} : { id: message.id }), ...(message.retry === undefined ? {} : { retry: message.retry }) }
    const validate = ajv.getSchema(`${DOCUMENT_ID}#/components/schemas/StreamEvent`) ?? ajv.compile({ $ref: `${DOCUMENT_ID}#/components/schemas/StreamEvent` })
    if (!validate(item)) violations.push(`event ${message.event}: ${ajv.errorsText(validate.errors)}`)
  }

  const routeOf = (request: FastifyRequest) => (request.is404 ? undefined : request.routeOptions.url)

  /**
   * onRequest: watches the status line and headers as Node writes them, so hijacked replies (the
   * event stream), 304s and non-JSON answers are checked too, with every header any hook added.
   */
  async function onRequest (request: FastifyRequest, reply: FastifyReply) {
    const raw = reply.raw
    const writeHead = raw.writeHead
    raw.writeHead = function (this: typeof raw, status: number, ...rest: unknown[]) {
      const given = rest.find((arg) => typeof arg === 'object' && arg !== null) as OutgoingHttpHeaders | undefined
      const headers: OutgoingHttpHeaders = { ...raw.getHeaders() }
      for (const [name, value] of Object.entries(given ?? {})) headers[name.toLowerCase()] = value
      checkHead(request.method, routeOf(request), status, headers)
      return (writeHead as (...args: unknown[]) => typeof raw).call(this, status, ...rest)
    } as typeof raw.writeHead
  }

  /** onSend: each JSON body against its schema. */
  async function onSend (request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const type = String(reply.getHeader('content-type') ?? '')
    if (reply.statusCode === 204 || reply.statusCode === 304) return payload
    if (!type.startsWith('application/json')) return payload
    const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? decoded(payload, reply.getHeader('content-encoding')) : undefined
    if (text === undefined) return payload
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      violations.push(`${request.method} ${request.url}: body is not JSON`)
      return payload
    }
    checkBody(request.method, routeOf(request), reply.statusCode, body)
    return payload
  }

  return { onRequest, onSend, violations, check, checkHead, checkStreamMessage }
}
