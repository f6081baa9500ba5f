import { readFileSync } from 'node:fs'

/**
 * The functions that took the most CPU in a `.cpuprofile` (as `BENCH_PROFILE=1` writes them), by
 * self time over the samples where the process was busy, optionally only the last N seconds (the
 * load, not the boot). Usage: tsx bench/profile-top.ts <file.cpuprofile> [rows=30] [last-seconds]
 */

interface Profile {
  nodes: Array<{ id: number, callFrame: { functionName: string, url: string, lineNumber: number } }>
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

const [file, rows = '30', lastSeconds] = process.argv.slice(2)
if (!file) throw new Error('usage: tsx bench/profile-top.ts <file.cpuprofile> [rows] [last-seconds]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
const from = lastSeconds === undefined ? -Infinity : profile.endTime - Number(lastSeconds) * 1e6
const self = new Map<string, number>()
let at = profile.startTime
let busy = 0
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i] ?? 0
  const frame = frames.get(profile.samples[i]!)!
  if (at < from || frame.functionName === '(idle)') continue
  const where = frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|plugins|bench)\//, '$1/')
  const name = `${frame.functionName || '(anonymous)'} ${where}${where ? `:${frame.lineNumber + 1}` : ''}`
  const spent = profile.timeDeltas[i + 1] ?? 0
  busy += spent
  self.set(name, (self.get(name) ?? 0) + spent)
}
process.stdout.write(`busy ${(busy / 1e6).toFixed(1)} s\n`)
for (const [name, spent] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(rows))) {
  process.stdout.write(`${((spent / busy) * 100).toFixed(2).padStart(6)}%  ${name}\n`)
}
