/**
 * Breaking changes between two OpenAPI 3.x documents, as seen by a client written against the
 * older one. Requests may only get looser and responses may only promise more:
 * - an operation, a response status or a media type disappears;
 * - a request parameter or body field disappears, or becomes required (or a new one is required);
 * - a request value is narrowed: a type left a union, an enum value went, a constraint appeared
 *   or tightened (pattern, format, max/min lengths, items, values, additionalProperties);
 * - a response field or header disappears, or a field is no longer always present, or a
 *   response value may now be of a type it could not be before (except a new alternative of a
 *   union marked `x-extensible-union`, which grows with the provider set, as a new enum value does).
 * Only local `$ref`s are followed (the service's document has no other kind). Header names
 * compare case-insensitively, as HTTP does; path templates compare by shape (`{id}` = `{actionId}`).
 * Schemas are compared for JSON media types; a text/event-stream schema describes frames, not a
 * value, so only the media type's presence is checked there.
 */

export interface BreakingChange {
  /** Where: `GET /api/x`, then the part (`response 200 body.items[].key`). */
  location: string
  message: string
}

type Json = Record<string, any>

/**
 * Marks a response union whose alternatives grow with the provider set (a link's config): a new
 * alternative there is no breaking change, like a new enum value.
 */
export const EXTENSIBLE_UNION = 'x-extensible-union'

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const

/** The major version of `info.version` (semver or a plain number); NaN when unreadable. */
function majorVersion (document: Json) {
  const match = /^v?(\d+)/.exec(String(document.info?.version ?? ''))
  return match ? Number(match[1]) : Number.NaN
}

export function isMajorRaised (base: Json, head: Json) {
  return majorVersion(head) > majorVersion(base)
}

function pointer (document: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`)
  let node: any = document
  for (const raw of ref.slice(2).split('/')) {
    node = node?.[raw.replaceAll('~1', '/').replaceAll('~0', '~')]
  }
  if (node === undefined) throw new Error(`unresolvable $ref ${ref}`)
  return node
}

/** Follows $refs until a node that is not one (a chain of refs is allowed). */
function deref (document: Json, node: any): any {
  let current = node
  for (let hops = 0; current && typeof current === 'object' && typeof current.$ref === 'string'; hops++) {
    if (hops > 64) throw new Error(`$ref loop at ${current.$ref}`)
    current = pointer(document, current.$ref)
  }
  return current
}

const pathShape = (path: string) => path.replace(/\{[^}]+\}/g, '{}')

type Direction = 'request' | 'response'

class Comparison {
  readonly changes: BreakingChange[] = []
  /** Schema pairs already being compared: recursive schemas end here. */
  private readonly seen = new Set<string>()
  private readonly ids = new WeakMap<object, number>()
  private nextId = 0

  constructor (readonly base: Json, readonly head: Json) {}

  add (location: string, message: string) {
    this.changes.push({ location, message })
  }

  private id (node: object) {
    let id = this.ids.get(node)
    if (id === undefined) this.ids.set(node, id = ++this.nextId)
    return id
  }

  operations () {
    const headOps = new Map<string, { path: string, method: string, operation: Json, item: Json }>()
    for (const [path, rawItem] of Object.entries<Json>(this.head.paths ?? {})) {
      const item = deref(this.head, rawItem)
      for (const method of METHODS) if (item[method]) headOps.set(`${method} ${pathShape(path)}`, { path, method, operation: item[method], item })
    }
    for (const [path, rawItem] of Object.entries<Json>(this.base.paths ?? {})) {
      const item = deref(this.base, rawItem)
      for (const method of METHODS) {
        if (!item[method]) continue
        const where = `${method.toUpperCase()} ${path}`
        const match = headOps.get(`${method} ${pathShape(path)}`)
        if (!match) {
          this.add(where, 'operation removed')
          continue
        }
        this.parameters(where, [...(item.parameters ?? []), ...(item[method].parameters ?? [])], [...(match.item.parameters ?? []), ...(match.operation.parameters ?? [])])
        this.requestBody(where, item[method].requestBody, match.operation.requestBody)
        this.responses(where, item[method].responses ?? {}, match.operation.responses ?? {})
      }
    }
  }

  private parameters (where: string, baseList: any[], headList: any[]) {
    const keyed = (document: Json, list: any[]) => {
      const map = new Map<string, Json>()
      let position = 0
      for (const raw of list) {
        const parameter = deref(document, raw)
        // Path parameters are matched by position (their names are not on the wire).
        const key = parameter.in === 'path' ? `path #${position++}` : `${parameter.in} ${parameter.in === 'header' ? String(parameter.name).toLowerCase() : parameter.name}`
        map.set(key, parameter)
      }
      return map
    }
    const base = keyed(this.base, baseList)
    const head = keyed(this.head, headList)
    for (const [key, parameter] of base) {
      const label = `${parameter.in} parameter ${parameter.name}`
      const next = head.get(key)
      if (!next) {
        this.add(where, `${label} removed`)
        continue
      }
      if (next.required && !parameter.required) this.add(where, `${label} is now required`)
      this.schema(`${where} ${label}`, parameter.schema, next.schema, 'request')
    }
    for (const [key, parameter] of head) {
      if (!base.has(key) && parameter.required) this.add(where, `new required ${parameter.in} parameter ${parameter.name}`)
    }
  }

  private requestBody (where: string, rawBase: any, rawHead: any) {
    if (!rawBase && !rawHead) return
    const base = deref(this.base, rawBase) ?? {}
    const head = deref(this.head, rawHead) ?? {}
    if (head.required && !base.required) this.add(where, 'request body is now required')
    for (const [type, media] of Object.entries<Json>(base.content ?? {})) {
      const next = head.content?.[type]
      if (!next) {
        this.add(where, `request body ${type} no longer accepted`)
        continue
      }
      if (isJson(type)) this.schema(`${where} request body`, media.schema, next.schema, 'request')
    }
  }

  private responses (where: string, base: Json, head: Json) {
    for (const [status, rawResponse] of Object.entries(base)) {
      const response = deref(this.base, rawResponse)
      const next = deref(this.head, head[status])
      if (!next) {
        this.add(where, `response ${status} removed`)
        continue
      }
      const headHeaders = new Set(Object.keys(next.headers ?? {}).map((name) => name.toLowerCase()))
      for (const name of Object.keys(response.headers ?? {})) {
        if (!headHeaders.has(name.toLowerCase())) this.add(where, `response ${status} header ${name} removed`)
      }
      for (const [type, media] of Object.entries<Json>(response.content ?? {})) {
        const nextMedia = next.content?.[type]
        if (!nextMedia) {
          this.add(where, `response ${status} ${type} removed`)
          continue
        }
        if (isJson(type)) this.schema(`${where} response ${status} body`, media.schema, nextMedia.schema, 'response')
      }
    }
  }

  /** Compares one schema pair; `at` names the value (`… body.items[].key`). */
  schema (at: string, rawBase: any, rawHead: any, direction: Direction) {
    const base = deref(this.base, rawBase)
    const head = deref(this.head, rawHead)
    if (base === undefined || head === undefined || base === true || head === true) {
      // A schema that appears where there was none narrows a request; one that goes widens it.
      if (direction === 'request' && (base === undefined || base === true) && isObject(head) && Object.keys(head).length > 0) this.add(at, 'now constrained by a schema')
      return
    }
    if (head === false) {
      if (direction === 'request') this.add(at, 'no value is accepted any more')
      return
    }
    if (!isObject(base) || !isObject(head)) return
    const pair = `${this.id(base)}:${this.id(head)}:${direction}`
    if (this.seen.has(pair)) return
    this.seen.add(pair)
    try {
      this.types(at, base, head, direction)
      this.enums(at, base, head, direction)
      if (direction === 'request') this.constraints(at, base, head)
      this.alternatives(at, base, head, direction)
      this.objects(at, base, head, direction)
      if (base.items !== undefined || head.items !== undefined) this.schema(`${at}[]`, base.items, head.items, direction)
    } finally {
      this.seen.delete(pair)
    }
  }

  /** The JSON types a schema allows, or undefined for any. */
  private typeSet (document: Json, schema: Json): Set<string> | undefined {
    if (schema.type !== undefined) return new Set(Array.isArray(schema.type) ? schema.type : [schema.type])
    if (schema.const !== undefined) return new Set([jsonType(schema.const)])
    if (Array.isArray(schema.enum)) return new Set(schema.enum.map(jsonType))
    const alternatives = schema.anyOf ?? schema.oneOf
    if (Array.isArray(alternatives)) {
      const types = new Set<string>()
      for (const alternative of alternatives) {
        const set = this.typeSet(document, deref(document, alternative) ?? {})
        if (!set) return undefined
        for (const type of set) types.add(type)
      }
      return types
    }
    return undefined
  }

  private types (at: string, base: Json, head: Json, direction: Direction) {
    const before = this.typeSet(this.base, base)
    const after = this.typeSet(this.head, head)
    const covers = (set: Set<string> | undefined, type: string) => !set || set.has(type) || (type === 'integer' && set.has('number'))
    if (direction === 'request') {
      if (!before && after) return this.add(at, `now only ${[...after].join(' or ')}`)
      for (const type of before ?? []) if (!covers(after, type)) this.add(at, `${type} no longer accepted`)
    } else {
      if (before && !after) return this.add(at, 'may now be of any type')
      for (const type of after ?? []) if (!covers(before, type)) this.add(at, `may now be ${type}`)
    }
  }

  private enums (at: string, base: Json, head: Json, direction: Direction) {
    const values = (schema: Json) => schema.const !== undefined ? [schema.const] : Array.isArray(schema.enum) ? schema.enum as unknown[] : undefined
    const before = values(base)
    const after = values(head)
    const has = (list: unknown[], value: unknown) => list.some((item) => JSON.stringify(item) === JSON.stringify(value))
    if (direction === 'request') {
      if (!after) return
      if (!before) return this.add(at, `now limited to ${JSON.stringify(after)}`)
      for (const value of before) if (!has(after, value)) this.add(at, `value ${JSON.stringify(value)} no longer accepted`)
    }
    // Responses: a value a client has never seen is not in the list of what fails the gate
    // (clients are told to tolerate unknown enum values); a removed one is a narrowing, fine.
  }

  private constraints (at: string, base: Json, head: Json) {
    // What the old schema already implied counts as stated: a bounded pattern's longest match,
    // a uuid's 36 characters. Then writing the bound down is not a narrowing.
    const implied: Json = { ...base, maxLength: Math.min(base.maxLength ?? Infinity, patternMaxLength(base.pattern), base.format === 'uuid' ? 36 : Infinity) }
    for (const key of ['maxLength', 'maxItems', 'maxProperties', 'maximum', 'exclusiveMaximum'] as const) {
      if (typeof head[key] === 'number' && !(head[key] >= (implied[key] ?? Infinity))) this.add(at, `${key} tightened to ${head[key]}${typeof base[key] === 'number' ? ` (was ${base[key]})` : ''}`)
    }
    for (const key of ['minLength', 'minItems', 'minProperties', 'minimum', 'exclusiveMinimum'] as const) {
      if (typeof head[key] === 'number' && (typeof base[key] !== 'number' || head[key] > base[key])) this.add(at, `${key} tightened to ${head[key]}${typeof base[key] === 'number' ? ` (was ${base[key]})` : ''}`)
    }
    for (const key of ['pattern', 'format', 'multipleOf'] as const) {
      if (head[key] === undefined || head[key] === base[key]) continue
      if (key === 'format' && formatImplied(head.format, base)) continue
      this.add(at, `${key} ${base[key] === undefined ? 'added' : 'changed'}: ${JSON.stringify(head[key])}`)
    }
    if (head.uniqueItems === true && base.uniqueItems !== true) this.add(at, 'items must now be unique')
  }

  /** anyOf/oneOf: alternatives matched by their $ref or single value (TypeBox's literal unions), else by position. */
  private alternatives (at: string, base: Json, head: Json, direction: Direction) {
    const list = (schema: Json) => (schema.anyOf ?? schema.oneOf) as any[] | undefined
    const before = list(base)
    const after = list(head)
    if (!before || !after) return
    const key = (alternative: any, index: number) => {
      if (typeof alternative?.$ref === 'string') return alternative.$ref.split('/').pop()
      if (alternative?.const !== undefined) return JSON.stringify(alternative.const)
      if (Array.isArray(alternative?.enum) && alternative.enum.length === 1) return JSON.stringify(alternative.enum[0])
      return `#${index}`
    }
    const headByKey = new Map(after.map((alternative, index) => [key(alternative, index), alternative]))
    before.forEach((alternative, index) => {
      const name = key(alternative, index)
      const next = headByKey.get(name)
      if (next === undefined) {
        if (direction === 'request') this.add(at, `alternative ${name} no longer accepted`)
        return
      }
      this.schema(`${at} (${name})`, alternative, next, direction)
    })
    // A union that grows with the provider set: its new alternative comes with a new key value,
    // which clients already tolerate, so the new alternative is tolerated too.
    if (direction === 'response' && head[EXTENSIBLE_UNION] !== true) {
      // A new literal (a TypeBox union of values) is a new enum value: tolerated, as in enums.
      const isLiteral = (alternative: any) => alternative?.const !== undefined || (Array.isArray(alternative?.enum) && alternative.enum.length === 1)
      const baseKeys = new Set(before.map(key))
      after.forEach((alternative, index) => {
        if (!baseKeys.has(key(alternative, index)) && !isLiteral(alternative)) this.add(at, `may now be ${key(alternative, index)}`)
      })
    }
  }

  private objects (at: string, rawBase: Json, rawHead: Json, direction: Direction) {
    const base = flattenAllOf(this.base, rawBase)
    const head = flattenAllOf(this.head, rawHead)
    if (!base.properties && !head.properties) {
      if (direction === 'request' && head.additionalProperties === false && base.additionalProperties !== false && base.type === 'object') this.add(at, 'no longer accepts additional properties')
      return
    }
    const baseProps = base.properties ?? {}
    const headProps = head.properties ?? {}
    const baseRequired = new Set<string>(base.required ?? [])
    const headRequired = new Set<string>(head.required ?? [])
    for (const [name, schema] of Object.entries(baseProps)) {
      const field = `${at}.${name}`
      if (!(name in headProps)) {
        this.add(field, `${direction} field removed`)
        continue
      }
      if (direction === 'request' && headRequired.has(name) && !baseRequired.has(name)) this.add(field, 'request field is now required')
      if (direction === 'response' && baseRequired.has(name) && !headRequired.has(name)) this.add(field, 'response field no longer always present')
      this.schema(field, schema, headProps[name], direction)
    }
    if (direction === 'request') {
      for (const name of headRequired) if (!(name in baseProps)) this.add(`${at}.${name}`, 'new required request field')
      if (head.additionalProperties === false && base.additionalProperties !== false) this.add(at, 'no longer accepts additional properties')
    }
  }
}

/** allOf members' properties and required lists merged into one object schema. */
function flattenAllOf (document: Json, schema: Json): Json {
  if (!Array.isArray(schema.allOf)) return schema
  const merged: Json = { ...schema, properties: { ...(schema.properties ?? {}) }, required: [...(schema.required ?? [])] }
  for (const raw of schema.allOf) {
    const part = flattenAllOf(document, deref(document, raw) ?? {})
    Object.assign(merged.properties, part.properties ?? {})
    merged.required.push(...(part.required ?? []))
    if (part.additionalProperties === false) merged.additionalProperties = false
  }
  return merged
}

/** int32/int64 on an integer whose old bounds already fit say nothing new. */
function formatImplied (format: unknown, base: Json) {
  const limit = format === 'int32' ? 2 ** 31 : format === 'int64' ? 2 ** 63 : undefined
  if (limit === undefined || base.type !== 'integer') return false
  const max = base.maximum ?? base.exclusiveMaximum
  const min = base.minimum ?? base.exclusiveMinimum
  return typeof max === 'number' && typeof min === 'number' && max < limit && min >= -limit
}

/**
 * The longest string an anchored pattern (`^…$`) matches, or Infinity when unbounded or not
 * understood. Handles literals, escapes, classes, groups, alternation and quantifiers: enough
 * for the identifier patterns contracts use.
 */
export function patternMaxLength (pattern: unknown): number {
  if (typeof pattern !== 'string' || !pattern.startsWith('^') || !pattern.endsWith('$') || pattern.endsWith('\\$')) return Infinity
  const source = pattern.slice(1, -1)
  let i = 0
  const sequence = (): number => {
    let best = 0
    let total = 0
    while (i < source.length && source[i] !== ')') {
      if (source[i] === '|') {
        best = Math.max(best, total)
        total = 0
        i++
        continue
      }
      total += quantified(atom())
    }
    return Math.max(best, total)
  }
  const atom = (): number => {
    const char = source[i++]
    if (char === '\\') {
      const next = source[i++]
      if (next === 'u') i += 4
      else if (next === 'x') i += 2
      return 1
    }
    if (char === '[') {
      if (source[i] === '^') i++
      if (source[i] === ']') i++
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1
      i++
      return 1
    }
    if (char === '(') {
      if (source[i] === '?') i += 2
      const inner = sequence()
      i++
      return inner
    }
    if (char === '^' || char === '$') return Infinity
    return 1
  }
  const quantified = (length: number): number => {
    const char = source[i]
    let times = 1
    if (char === '*' || char === '+') { times = Infinity; i++ } else if (char === '?') { times = 1; i++ } else if (char === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i))
      if (!match) return Infinity
      times = match[2] === undefined ? Number(match[1]) : match[3] === '' ? Infinity : Number(match[3])
      i += match[0].length
    }
    if (source[i] === '?') i++
    return length === 0 ? 0 : length * times
  }
  const length = sequence()
  return i === source.length ? length : Infinity
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const isJson = (mediaType: string) => /^application\/(.+\+)?json\b/.test(mediaType)

function jsonType (value: unknown) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

/** Every change of `head` that breaks a client of `base`. */
export function breakingChanges (base: Json, head: Json): BreakingChange[] {
  const comparison = new Comparison(base, head)
  comparison.operations()
  return comparison.changes
}
