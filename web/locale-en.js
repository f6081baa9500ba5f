// @ts-check
/** English strings of the integration components. Keys are shared by every locale's catalog. */
export default {
  status: { connected: 'Connected', warning: 'Needs attention', error: 'Error', disconnected: 'Not connected' },
  overall: {
    connected: 'All integrations connected',
    warning: 'Integrations need attention',
    error: 'An integration is failing',
    disconnected: 'No integrations connected'
  },
  loading: 'Loading integrations…',
  barLabel: 'Integration status',
  settingsLabel: 'Integrations',
  connection: {
    starting: 'Connecting…',
    connecting: 'Connecting…',
    streaming: 'Live',
    reconnecting: 'Connection lost · reconnecting…',
    polling: 'Offline · checking every 15 s',
    closed: 'Stopped',
    disabled: ''
  },
  announceChange: '{label} is now {status}',
  updated: 'Updated {ago}',
  staleBadge: 'Last known status, updated {ago}',
  staleAmber: 'Not updated for a while: last updated {ago}',
  hidden: 'Hidden by project policy',
  disabled: 'Turned off for this project',
  environments: 'Environments',
  problem: 'Problem',
  problems: {
    oauth_revoked: 'Access revoked',
    missing_scopes: 'Missing scopes',
    missing_permissions: 'Missing permissions',
    not_found: 'Not found',
    webhook_disabled: 'Webhook disabled',
    webhook_missing: 'No webhook',
    project_paused: 'Project paused',
    project_failed: 'Project failed',
    database_error: 'Database problem',
    rate_limited: 'Rate limited',
    timeout: 'Not answering',
    unknown: 'Provider error'
  },
  action: {
    pending: '{action}: working…',
    succeeded: '{action}: done',
    failed: '{action} failed: {message}',
    retryIn: 'Too many requests. Try again in {seconds} s.',
    retryNow: 'You can try again now.',
    announceDone: '{label}: {action} done',
    announceFailed: '{label}: {action} failed'
  },
  errors: {
    ACTION_FORBIDDEN: 'You are not allowed to do this on this project.',
    FORBIDDEN: 'You are not allowed to do this on this project.',
    UNAUTHENTICATED: 'Your session has ended. Reload the page to sign in again.',
    CSRF_FAILED: 'Your session has ended. Reload the page to sign in again.',
    SERVICE_UNAVAILABLE: 'The service is busy. Try again in a moment.',
    network: 'The service could not be reached. Check your connection and try again.',
    other: 'Something went wrong ({code}).'
  },
  manage: {
    viewerNote: 'You can see this integration but not change it. Ask a project owner or admin.',
    connect: 'Connect',
    reconnect: 'Reconnect',
    disconnect: 'Disconnect'
  },
  form: {
    connectTitle: 'Connect {label}',
    reconnectTitle: 'Reconnect {label}',
    tokenNote: 'The token is checked with {label} before anything is saved. It is stored encrypted and never shown again.',
    oauthNote: 'You will continue on {label} to grant access, then come back here.',
    submitToken: 'Check and connect',
    submitOAuth: 'Continue to {label}',
    cancel: 'Cancel',
    optional: 'optional',
    required: '{field} is required.',
    invalid: '{field} is not valid.',
    checking: 'Checking with {label}…',
    redirecting: 'Opening {label}…',
    connected: '{label} is connected.',
    loadFailed: 'The connection form could not be loaded. Try again.'
  },
  dialog: {
    title: 'Disconnect {label}?',
    removes: 'This removes the link and its stored token from this project: its status and quick actions stop here.',
    keeps: 'It does not delete anything at {label}, and it does not revoke the token there unless this service issued it through its own {label} app. The token’s owner can revoke it in {label}’s settings.',
    confirm: 'Disconnect',
    cancel: 'Keep connected',
    done: '{label} is disconnected.'
  }
}
