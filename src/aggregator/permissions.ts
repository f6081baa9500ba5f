import type { Role } from '../schemas/common.js'
import { CAPABILITY_ROLES, type ActionDefinition, type Capability } from '../provider-kit/manifest.js'

/**
 * The permission matrix, answered server-side. The status endpoint shows it as actions[].can
 * and reason; the actions endpoint refuses with the same reason, so the two never disagree.
 */

const DENIED_REASON: Record<Capability, string> = {
  connect: 'Only owners and admins can connect or disconnect integrations',
  configure: 'Only owners and admins can configure integrations',
  deploy: 'Only owners, admins and editors can deploy',
  push: 'Only owners, admins and editors can push or pull',
  content_sync: 'Only owners, admins and editors can sync content'
}

const VIEWER_REASON = 'Viewers can only view integrations'

export function permission (role: Role, capability: Capability): { can: true } | { can: false, reason: string } {
  if (CAPABILITY_ROLES[capability].includes(role)) return { can: true }
  return { can: false, reason: role === 'viewer' ? VIEWER_REASON : DENIED_REASON[capability] }
}

export function describeActions (actions: readonly ActionDefinition[], role: Role) {
  return actions.map(({ id, label, capability }) => ({ id, label, ...permission(role, capability) }))
}

/** Roles that see repository, branch, account and project names, URLs and revealing hints. */
export const seesDetails = (role: Role) => role !== 'viewer'

export const CONNECT: ActionDefinition = { id: 'connect', label: 'Connect', capability: 'connect' }
export const RECONNECT: ActionDefinition = { id: 'reconnect', label: 'Reconnect', capability: 'connect' }
export const DISCONNECT: ActionDefinition = { id: 'disconnect', label: 'Disconnect', capability: 'connect' }
