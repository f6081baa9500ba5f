import { ActionFailure } from '../../src/provider-kit/executor.js'
import type { ActionExecutor } from '../../src/provider-kit/executor.js'
import type { DatabaseProbe, ProbeOutcome } from './database.js'
import { disconnectExecutor, noParams } from '../../src/provider-kit/shared-actions.js'

/**
 * Supabase's quick actions. test-connection runs the status check's own probe (`SELECT 1` on the
 * link's databaseUrl, one small pool per URL), so its pools are shared with the checks and closed
 * by the adapter's close().
 */

export const SUPABASE_DISCONNECT_NOTE = 'The link and its stored credentials were removed here. The token itself still works at Supabase: ' +
  'a personal access token can only be revoked in the dashboard (Account › Access Tokens), and revoking an OAuth grant ' +
  'needs the OAuth app\'s client credentials, which this service is not configured with. ' +
  'The database password in the removed databaseUrl is unchanged.'

/**
 * The probe reports a verdict, not a code (its summaries are the status check's wording): each
 * summary it can give maps to a stable code here. The probe never reads pg's error text, so
 * neither summary nor hint carries the URL, host, user or password.
 */
const PROBE_CODES: Record<string, string> = {
  'Database unreachable': 'database_unreachable',
  'Database login failed': 'database_login_failed',
  'Database connection limit reached': 'database_busy',
  'Database starting up': 'database_starting',
  'Database not found': 'database_not_found',
  'Database check failed': 'database_check_failed'
}

function failure (outcome: Extract<ProbeOutcome, { ok: false }>) {
  return new ActionFailure(PROBE_CODES[outcome.summary] ?? 'database_error', `${outcome.summary}. ${outcome.hint}`)
}

export function createSupabaseExecutors ({ probe, samples }: { probe: DatabaseProbe, samples: number }): ActionExecutor[] {
  return [
    {
      id: 'test-connection',
      mode: 'inline',
      retryable: true,
      needsLink: true,
      check: noParams('test-connection'),
      async run (ctx) {
        if (!ctx.link) throw new ActionFailure('not_linked', 'Supabase is not linked to this project')
        // The real URL: the config's copy has its password masked.
        const databaseUrl = ctx.link.credentials.databaseUrl
        if (!databaseUrl) throw new ActionFailure('no_database_url', 'Link a databaseUrl to test the connection')
        const outcome = await probe.probe(databaseUrl, ctx.signal)
        // The probe reads an abort as "unreachable"; the service's abort is not the database's fault.
        if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('test-connection aborted')
        if (!outcome.ok) throw failure(outcome)
        return { latencyMs: outcome.latencyMs, samples }
      }
    },
    disconnectExecutor(SUPABASE_DISCONNECT_NOTE)
  ]
}
