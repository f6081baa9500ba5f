import { createHash } from 'node:crypto'

/** Which rule decided, most specific first (the order `decide` tries them in). */
export const ROLLOUT_SOURCES = ['project_override', 'team_override', 'project_allowlist', 'team_allowlist', 'percentage', 'default'] as const
export type RolloutSource = (typeof ROLLOUT_SOURCES)[number]

/** The configured rules, fixed at boot (ROLLOUT_* variables). */
export interface RolloutConfig {
  defaultEnabled: boolean
  teams: readonly string[]
  projects: readonly string[]
  /** 0–100: the share of teams enabled by their hash bucket. */
  percent: number
}

/** What is known about one project when it is asked about. */
export interface RolloutFacts {
  projectId: string
  /** The project's team (projects.team_id), else the caller's `team` claim; undefined when neither. */
  team: string | undefined
  /** Runtime overrides from PostgreSQL; undefined when none is set. */
  projectOverride: boolean | undefined
  teamOverride: boolean | undefined
}

export interface RolloutDecision {
  enabled: boolean
  source: RolloutSource
}

/**
 * A team's bucket, 0–99: the first 4 bytes of sha256(team id), big-endian, mod 100. It depends on
 * the id alone, so every instance agrees, a team never changes bucket, and raising the percent
 * only ever adds teams (a team enabled at 30 % stays enabled at 50 %).
 */
export function teamBucket (team: string) {
  return createHash('sha256').update(team, 'utf8').digest().readUInt32BE(0) % 100
}

/** The decision function for one configuration: overrides, then allowlists, then percentage, then default. */
export function createRules (config: RolloutConfig) {
  const projects = new Set(config.projects)
  const teams = new Set(config.teams)
  return function decide (facts: RolloutFacts): RolloutDecision {
    const { projectId, team } = facts
    if (facts.projectOverride !== undefined) return { enabled: facts.projectOverride, source: 'project_override' }
    if (facts.teamOverride !== undefined) return { enabled: facts.teamOverride, source: 'team_override' }
    if (projects.has(projectId)) return { enabled: true, source: 'project_allowlist' }
    if (team !== undefined && teams.has(team)) return { enabled: true, source: 'team_allowlist' }
    if (team !== undefined) return { enabled: teamBucket(team) < config.percent, source: 'percentage' }
    return { enabled: config.defaultEnabled, source: 'default' }
  }
}
