import { join } from 'node:path'
import { BENCH_DIR, OUT_DIR } from './proc.js'

/** Every knob of `npm run bench`, from BENCH_* environment variables; BENCH_QUICK=1 is the smoke run. */
export interface BenchOptions {
  quick: boolean
  /** Repetitions of every measurement (median and min–max over them). */
  reps: number
  /** Seconds of each throughput measurement. */
  duration: number
  /** Seconds of load on each server before the first repetition (JIT, caches). */
  warmup: number
  /** Connections for the baseline, warm 200 and 304 measurements. */
  connections: number
  coldConnections: number
  /** Cold requests per repetition, each for a project nobody asked for yet. */
  coldRequests: number
  /** Provider latency the simulator adds in the cold measurement. */
  coldDelayMs: number
  hangConnections: number
  steadyProjects: number
  /** Total requests per second over both instances. */
  steadyRate: number
  /** Total over both instances. */
  steadyConnections: number
  steadyTtlMs: number
  /** The service's TTL jitter (±33%): a fresh window is at least ttl·(1−jitter). */
  ttlJitter: number
  zipfS: number
  /** Steady-state windows (one per repetition), each this many TTLs long. */
  steadyWindowTtls: number
  steadyWarmupTtls: number
  /** 'auto' = real PostgreSQL and Redis when reachable, else embedded. */
  backend: 'auto' | 'real' | 'embedded'
  databaseUrl: string
  redisUrl: string
  logLevel: string
  serverCpu: string
  loadCpu: string
  /** The provider simulator stands for the outside world: by default on the load generator's CPU. */
  simulatorCpu: string
  out: string
  /** Distinct projects of the scaling scenario's largest step (the steps: 1, 100 and this). */
  scaleProjects: number
  /** Projects each polled once in the memory scenario, and at how many points RSS is read. */
  memoryProjects: number
  memorySteps: number
  /** BENCH_TOKENS: identity-provider ES256 tokens (JWKS on loopback, the default) or HS256 ones. */
  tokenKind: 'es256' | 'hs256'
  /** Which scenarios to run (comma list of ids), default all. */
  only: string[] | undefined
}

/** A numeric BENCH_* variable, checked. */
export function num (name: string, fallback: number, min = 0) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min) throw new Error(`${name}: expected a number ≥ ${min}, got "${raw}"`)
  return value
}

export function loadOptions (): BenchOptions {
  const quick = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true'
  const backend = process.env.BENCH_BACKEND ?? 'auto'
  if (backend !== 'auto' && backend !== 'real' && backend !== 'embedded') throw new Error('BENCH_BACKEND: auto, real or embedded')
  return {
    quick,
    reps: Math.round(num('BENCH_REPS', quick ? 1 : 5, 1)),
    duration: num('BENCH_DURATION', quick ? 2 : 5, 0.5),
    warmup: num('BENCH_WARMUP', quick ? 1 : 2, 0),
    connections: Math.round(num('BENCH_CONNECTIONS', 100, 1)),
    coldConnections: Math.round(num('BENCH_COLD_CONNECTIONS', 10, 1)),
    coldRequests: Math.round(num('BENCH_COLD_REQUESTS', quick ? 60 : 200, 1)),
    coldDelayMs: num('BENCH_COLD_DELAY_MS', 100),
    hangConnections: Math.round(num('BENCH_HANG_CONNECTIONS', 50, 1)),
    steadyProjects: Math.round(num('BENCH_STEADY_PROJECTS', 1000, 1)),
    steadyRate: Math.round(num('BENCH_STEADY_RATE', 1000, 2)),
    steadyConnections: Math.round(num('BENCH_STEADY_CONNECTIONS', 50, 2)),
    steadyTtlMs: num('BENCH_STEADY_TTL_MS', 3000, 100),
    ttlJitter: num('BENCH_TTL_JITTER', 0.33),
    zipfS: num('BENCH_ZIPF_S', 1.1),
    steadyWindowTtls: num('BENCH_STEADY_WINDOW_TTLS', quick ? 1 : 2, 1),
    steadyWarmupTtls: num('BENCH_STEADY_WARMUP_TTLS', quick ? 1 : 2, 0),
    scaleProjects: Math.round(num('BENCH_SCALE_PROJECTS', quick ? 1_000 : 10_000, 100)),
    memoryProjects: Math.round(num('BENCH_MEMORY_PROJECTS', quick ? 10_000 : 100_000, 1)),
    memorySteps: Math.round(num('BENCH_MEMORY_STEPS', 4, 1)),
    tokenKind: process.env.BENCH_TOKENS === 'hs256' ? 'hs256' : 'es256',
    backend,
    databaseUrl: process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
    serverCpu: process.env.BENCH_SERVER_CPU ?? '0',
    loadCpu: process.env.BENCH_LOAD_CPU ?? '1',
    simulatorCpu: process.env.BENCH_SIMULATOR_CPU ?? process.env.BENCH_LOAD_CPU ?? '1',
    out: process.env.BENCH_OUT ?? (quick ? join(OUT_DIR, 'performance-quick.md') : join(BENCH_DIR, '..', 'docs', 'performance.md')),
    only: process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()).filter(Boolean) : undefined
  }
}

/** The BENCH_* variables set for this run, to print the exact command. */
export function benchEnvironment () {
  return Object.entries(process.env)
    .filter(([name, value]) => name.startsWith('BENCH_') && value !== undefined && value !== '')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value}`)
}
