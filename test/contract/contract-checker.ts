import { readFile } from 'node:fs/promises'
import { parse } from 'yaml'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { FastifyReply, FastifyRequest } from 'fastify'

const DOCUMENT_ID = 'openapi.json'
let loaded: Promise<{ document: any, ajv: Ajv2020 }> | undefined

/** The committed openapi.yaml, compiled once per process. */
export function loadContract () {
  loaded ??= (async () => {
    const document = parse(await readFile(new URL('../../openapi.yaml', import.meta.url), 'utf8'))
    const ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats.default(ajv)
    ajv.addSchema(document, DOCUMENT_ID)
    return { document, ajv }
  })()
  return loaded
}

const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')

/** Turns Fastify's /a/:b into OpenAPI's /a/{b}. */
export const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}')

/**
 * An onSend hook that checks each JSON response of the app against the documented schema for
 * its route and status. Collects violations; the test helper fails the test when any occurred.
 */
export async function createContractChecker () {
  const { document, ajv } = await loadContract()
  const violations: string[] = []

  function check (method: string, route: string | undefined, status: number, body: unknown) {
    const path = route === undefined ? undefined : openApiPath(route)
    const where = `${method} ${path ?? '(no route)'} -> ${status}`
    let ref: string
    if (path === undefined) {
      ref = `${DOCUMENT_ID}#/components/schemas/Error`
    } else {
      // Fastify answers HEAD from the GET route; its statuses must be GET's.
      const operation = document.paths?.[path]?.[method === 'HEAD' ? 'get' : method.toLowerCase()]
      if (!operation) return // undocumented on purpose (hidden routes such as /docs)
      const response = operation.responses?.[String(status)]
      if (!response) {
        violations.push(`${where}: status not documented`)
        return
      }
      if (!response.content?.['application/json']) return
      ref = `${DOCUMENT_ID}#/${pointer('paths', path, method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`
    }
    const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref })
    if (!validate(body)) violations.push(`${where}: ${ajv.errorsText(validate.errors)}`)
  }

  async function hook (request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const type = String(reply.getHeader('content-type') ?? '')
    if (reply.statusCode === 204 || reply.statusCode === 304) return payload
    if (!type.startsWith('application/json') || typeof payload !== 'string') return payload
    let body: unknown
    try {
      body = JSON.parse(payload)
    } catch {
      violations.push(`${request.method} ${request.url}: body is not JSON`)
      return payload
    }
    const matched = request.is404 ? undefined : request.routeOptions.url
    check(request.method, matched, reply.statusCode, body)
    return payload
  }

  return { hook, violations, check }
}
