// web/status-client.js names its JSDoc types through this path; the generated types themselves
// live once, in the client package (`npm run clients` writes them).
export type { components, operations, paths } from '../../clients/typescript/src/openapi.js'
