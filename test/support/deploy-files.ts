import { readFileSync, readdirSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type ts from 'typescript'
import { parseAllDocuments, parse } from 'yaml'
import type { Test } from 'tap'
import { EnvSchema } from '../../src/config/env-schema.js'
import { PROVIDER_PLUGINS } from '../../adapters/index.js'
import { loadConfig } from '../../plugins/config.js'

/** Reading and validating the files under deploy/ (test/deploy/*.test.ts). */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const DEPLOY = join(ROOT, 'deploy')
export const KUBERNETES = join(DEPLOY, 'kubernetes')

/** Every environment variable the service reads: its config schema and each provider manifest's env schema. */
export const ENV_NAMES = new Set([
  ...Object.keys(EnvSchema.properties),
  ...PROVIDER_PLUGINS.flatMap((plugin) => Object.keys(plugin.manifest.env.properties))
])

/** close-with-grace's margin for the close hooks in src/server.ts, past the grace and the timeout. */
const CLOSE_MARGIN_SECONDS = 5

/**
 * Seconds from SIGTERM to the forced exit of an instance given a deployment's variables, as
 * src/server.ts counts them: SHUTDOWN_GRACE_MS, SHUTDOWN_TIMEOUT_MS (their defaults when unset,
 * read through the real config loader), then the close margin. A stop grace shorter than this
 * kills a draining instance before its running actions are handed back.
 */
export function drainSeconds (env: Record<string, string | undefined>) {
  const { graceMs, timeoutMs } = loadConfig({
    NODE_ENV: 'production',
    DATA_DIR: 'memory://',
    AUTH_JWT_SECRET: 'a'.repeat(32),
    CREDENTIALS_KEY: '0'.repeat(64),
    ...(env.SHUTDOWN_GRACE_MS === undefined ? {} : { SHUTDOWN_GRACE_MS: env.SHUTDOWN_GRACE_MS }),
    ...(env.SHUTDOWN_TIMEOUT_MS === undefined ? {} : { SHUTDOWN_TIMEOUT_MS: env.SHUTDOWN_TIMEOUT_MS })
  }).shutdown
  return (graceMs + timeoutMs) / 1000 + CLOSE_MARGIN_SECONDS
}

export const readText = (path: string) => readFileSync(join(ROOT, path), 'utf8')

/** A YAML file of one document; `<<` merge keys resolved (compose files use them). */
export function readYaml (path: string): any {
  return parse(readText(path), { merge: true })
}

export interface Manifest {
  file: string
  index: number
  doc: any
}

/** Every Kubernetes object under deploy/kubernetes (kustomization.yaml is kustomize's, not the API's). */
export function kubernetesManifests (): Manifest[] {
  const manifests: Manifest[] = []
  for (const file of readdirSync(KUBERNETES).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort()) {
    parseAllDocuments(readFileSync(join(KUBERNETES, file), 'utf8')).forEach((document, index) => {
      if (document.errors.length > 0) throw new Error(`${file} #${index}: ${document.errors[0]!.message}`)
      const doc = document.toJS()
      if (doc !== null) manifests.push({ file, index, doc })
    })
  }
  return manifests
}

/** `apps/v1` + `Deployment` → `kubernetes-models/apps/v1/Deployment` (core `v1` has no group). */
const modelPath = (doc: { apiVersion: string, kind: string }) => `kubernetes-models/${doc.apiVersion}/${doc.kind}`

/**
 * Validates one object against the Kubernetes OpenAPI schema compiled into kubernetes-models
 * (types, enums, required fields, formats). Returns the problems, empty when valid.
 */
export async function schemaProblems (doc: any): Promise<string[]> {
  if (typeof doc?.apiVersion !== 'string' || typeof doc?.kind !== 'string') return ['apiVersion and kind are required']
  let Model: new (data: unknown) => { validate (): void }
  try {
    const module = await import(modelPath(doc))
    Model = module[doc.kind]
  } catch {
    return [`no Kubernetes schema for ${doc.apiVersion} ${doc.kind}`]
  }
  try {
    new Model(doc).validate()
    return []
  } catch (error) {
    const errors = (error as { errors?: Array<{ instancePath: string, message?: string }> }).errors
    return errors?.map((e) => `${e.instancePath || '/'} ${e.message}`) ?? [(error as Error).message]
  }
}

/**
 * The compiled validators accept unknown fields (a misspelt `readinesProbe` would pass), so each
 * object is also type-checked as an object literal of kubernetes-models' interface for its kind,
 * generated from the same OpenAPI document: TypeScript's excess-property check names any field the
 * API does not have, at any depth. Returns the diagnostics per manifest, empty when all are clean.
 */
export async function unknownFieldProblems (manifests: Array<Pick<Manifest, 'file' | 'index' | 'doc'>>): Promise<string[]> {
  // Loaded here, not at the top: compiling TypeScript's own 9 MB would block other tests' event loop at import.
  const { default: ts } = await import('typescript')
  const fileName = join(KUBERNETES, '__manifest-types__.ts')
  // One chunk of text per import and per object; lineOwner maps each generated line back to its manifest.
  const chunks: Array<{ text: string, owner: string }> = [
    ...manifests.map((m, i) => ({ text: `import type { I${m.doc.kind} as T${i} } from '${modelPath(m.doc)}'`, owner: `${m.file} #${m.index} (kind)` })),
    ...manifests.map((m, i) => ({ text: `export const m${i}: T${i} = ${JSON.stringify(m.doc, null, 2)}`, owner: `${m.file} #${m.index}` }))
  ]
  const lineOwner = chunks.flatMap((c) => c.text.split('\n').map(() => c.owner))
  const text = chunks.map((c) => c.text).join('\n')
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: []
  }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (name, language, ...rest) => name === fileName
    ? ts.createSourceFile(name, text, language)
    : getSourceFile(name, language, ...rest)
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (name) => name === fileName || fileExists(name)
  const program = ts.createProgram([fileName], options, host)
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1
    const owner = where >= 0 ? lineOwner[where] ?? '?' : '?'
    return `${owner}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`
  })
}

/** Whether an executable is on PATH. */
export function hasCommand (name: string) {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * Runs `fn` when the command exists; otherwise skips loudly, or fails with CI=true (CI installs
 * it: .ci/run), so CI never passes by validating less.
 */
export function withCommand (t: Test, command: string, debianPackage: string, name: string, fn: (t: Test) => Promise<void> | void) {
  if (hasCommand(command)) return t.test(name, async (t) => { await fn(t) })
  if (process.env.CI === 'true') {
    return t.test(name, async (t) => { t.fail(`${command} is required when CI=true (apt-get install ${debianPackage})`) })
  }
  t.comment(`!!! SKIPPING "${name}": ${command} not found (apt-get install ${debianPackage})`)
  return t.test(name, { skip: `${command} not found` }, async () => {})
}

export interface Selector {
  metric: string
  matchers: Array<{ label: string, op: string, value: string }>
}

export interface QueryNames {
  selectors: Selector[]
  /** Labels named in by/without/on/ignoring/group_left/group_right. */
  groupingLabels: string[]
}

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan'])
const IDENTIFIER = '[a-zA-Z_:][a-zA-Z0-9_:]*'

/**
 * The series a PromQL expression reads: metric names with their label matchers, and the labels it
 * groups by. Enough of PromQL for alert and dashboard expressions (no strings outside matchers,
 * no `__name__` matchers); a function name is an identifier followed by `(`.
 */
export function queryNames (expr: string): QueryNames {
  const selectors: Selector[] = []
  const groupingLabels: string[] = []
  let rest = expr
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_all, _keyword, labels: string) => {
      groupingLabels.push(...labels.split(',').map((l) => l.trim()).filter(Boolean))
      return ' '
    })
  rest = rest.replace(new RegExp(`(${IDENTIFIER})?\\s*\\{([^}]*)\\}`, 'g'), (_all, metric: string | undefined, body: string) => {
    if (!metric) throw new Error(`a selector without a metric name in ${expr}`)
    const matchers = [...body.matchAll(new RegExp(`(${IDENTIFIER})\\s*(=~|!~|!=|=)\\s*"([^"]*)"`, 'g'))].map((m) => ({ label: m[1]!, op: m[2]!, value: m[3]! }))
    selectors.push({ metric, matchers })
    return ' '
  })
  for (const match of rest.matchAll(new RegExp(`(${IDENTIFIER})(\\s*\\()?`, 'g'))) {
    if (match[2] || PROMQL_KEYWORDS.has(match[1]!.toLowerCase())) continue
    selectors.push({ metric: match[1]!, matchers: [] })
  }
  return { selectors, groupingLabels }
}

export interface Exposition {
  /** Metric family name → type, from `# TYPE` lines. */
  types: Map<string, string>
  /** Sample name (`x_bucket`, `y_total`) → the label sets of its samples. */
  samples: Map<string, Array<Record<string, string>>>
}

/** Parses Prometheus text exposition (what /metrics answers). */
export function parseExposition (text: string): Exposition {
  const types = new Map<string, string>()
  const samples = new Map<string, Array<Record<string, string>>>()
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type) { types.set(type[1]!, type[2]!); continue }
    if (line === '' || line.startsWith('#')) continue
    const sample = new RegExp(`^(${IDENTIFIER})(?:\\{(.*)\\})? \\S+`).exec(line)
    if (!sample) throw new Error(`unreadable exposition line: ${line}`)
    const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]))
    const list = samples.get(sample[1]!) ?? []
    list.push(labels)
    samples.set(sample[1]!, list)
  }
  return { types, samples }
}

/** The family a sample name belongs to: `x_bucket` → `x` when `x` is a histogram. */
export function familyOf (exposition: Exposition, name: string) {
  if (exposition.types.has(name)) return name
  const suffix = /^(.*)_(bucket|count|sum)$/.exec(name)
  if (suffix && ['histogram', 'summary'].includes(exposition.types.get(suffix[1]!) ?? '')) return suffix[1]!
  return undefined
}
