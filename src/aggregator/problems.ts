import type { ProblemCode } from '../schemas/integration-status.js'

/**
 * The human side of each problem code: a title every role may see, and the hint a viewer gets
 * (what to ask for, never what is wrong in detail). Adapters choose the code and the detailed
 * hint; the titles live here so every provider reads the same. docs/ui.md lists them.
 */
export const PROBLEMS: Record<ProblemCode, { title: string, viewerHint: (label: string) => string }> = {
  oauth_revoked: { title: 'Access revoked', viewerHint: (label) => `Ask a project owner or admin to reconnect ${label}` },
  missing_scopes: { title: 'Missing scopes', viewerHint: (label) => `Ask a project owner or admin to reconnect ${label} with the scopes it needs` },
  missing_permissions: { title: 'Missing permissions', viewerHint: (label) => `Ask a project owner or admin to reconnect ${label} with a token that has access` },
  not_found: { title: 'Not found', viewerHint: (label) => `Ask a project owner or admin to check which ${label} project is linked` },
  webhook_disabled: { title: 'Webhook disabled', viewerHint: (label) => `Changes in ${label} may show up late; ask a project owner or admin to enable its webhook` },
  webhook_missing: { title: 'No webhook', viewerHint: (label) => `Changes in ${label} may show up late; ask a project owner or admin to add a webhook` },
  project_paused: { title: 'Project paused', viewerHint: (label) => `Ask a project owner or admin to restore the ${label} project` },
  project_failed: { title: 'Project failed', viewerHint: (label) => `Ask a project owner or admin to look at the ${label} project` },
  database_error: { title: 'Database problem', viewerHint: (label) => `Ask a project owner or admin to check the ${label} database` },
  rate_limited: { title: 'Rate limited', viewerHint: (label) => `${label} is limiting requests; the status will refresh automatically` },
  timeout: { title: 'Not answering', viewerHint: (label) => `${label} is slow to answer; showing the last known status` },
  unknown: { title: 'Provider error', viewerHint: (label) => `Ask a project owner or admin to check the ${label} connection` }
}
