import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parse } from 'yaml'
import { breakingChanges, isMajorRaised } from '../openapi-diff.js'

/**
 * npm run openapi:diff [-- --base <git ref>]: fails when openapi.yaml breaks clients of the
 * version at the base ref (default HEAD~1, the previous commit of main; OPENAPI_BASE_REF also
 * works), unless info.version's major was raised. With no base to compare with (a first
 * commit, a shallow clone, no git), it says so and passes. Run from the repository.
 */

const run = promisify(execFile)
const git = async (...args: string[]) => (await run('git', args, { maxBuffer: 64 * 1024 * 1024 })).stdout

const argv = process.argv.slice(2)
const flag = argv.indexOf('--base')
const baseRef = (flag === -1 ? undefined : argv[flag + 1]) ?? process.env.OPENAPI_BASE_REF ?? 'HEAD~1'
const say = (line: string) => process.stdout.write(`${line}\n`)

async function baseDocument (): Promise<{ text: string } | { reason: string }> {
  let top: string
  try {
    top = (await git('rev-parse', '--show-toplevel')).trim()
  } catch (error) {
    return { reason: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'git is not installed' : 'not in a git repository' }
  }
  try {
    await git('rev-parse', '--verify', '--quiet', `${baseRef}^{commit}`)
  } catch {
    const shallow = (await git('rev-parse', '--is-shallow-repository').catch(() => 'false')).trim() === 'true'
    return { reason: `${baseRef} does not exist here${shallow ? ' (shallow clone: fetch more history, e.g. `git fetch --deepen=1`, to compare)' : ' (first commit?)'}` }
  }
  const prefix = (await git('-C', top, 'rev-parse', '--show-prefix')).trim()
  try {
    return { text: await git('-C', top, 'show', `${baseRef}:${prefix}openapi.yaml`) }
  } catch {
    return { reason: `${baseRef} has no openapi.yaml` }
  }
}

const base = await baseDocument()
if ('reason' in base) {
  say(`openapi diff: nothing to compare with: ${base.reason}; passing`)
  process.exit(0)
}
const head = parse(await readFile(join(process.cwd(), 'openapi.yaml'), 'utf8'))
const old = parse(base.text)
const changes = breakingChanges(old, head)
if (changes.length === 0) {
  say(`openapi diff: no breaking change against ${baseRef} (info.version ${old.info?.version} → ${head.info?.version})`)
  process.exit(0)
}
for (const change of changes) say(`  ${change.location}: ${change.message}`)
if (isMajorRaised(old, head)) {
  say(`openapi diff: ${changes.length} breaking change(s) against ${baseRef}, allowed: info.version's major was raised (${old.info?.version} → ${head.info?.version})`)
  process.exit(0)
}
say(`openapi diff: ${changes.length} breaking change(s) against ${baseRef}; make them compatible, or raise info.version's major (now ${head.info?.version})`)
process.exit(1)
