import { parseArgs } from 'node:util'
import { loadConfig } from '../../plugins/config.js'
import { signToken } from '../lib/tokens.js'
import { ROLES, type Role } from '../schemas/common.js'

// npm run token -- --sub u_1 --project p_demo --role owner [--project p_2 --role viewer] [--team t_1] [--hours 12]
// Signs with the same AUTH_JWT_SECRET the service uses (the development one under DATA_DIR if unset).
const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    project: { type: 'string', multiple: true, default: [] },
    role: { type: 'string', multiple: true, default: [] },
    team: { type: 'string' },
    hours: { type: 'string', default: '12' }
  }
})

function fail (message: string): never {
  process.stderr.write(`token: ${message}\nusage: npm run token -- --sub u_1 --project p_demo --role owner\n`)
  process.exit(2)
}

if (!values.sub) fail('--sub is required')
if (values.project.length !== values.role.length) fail('give one --role per --project')
const roles: Record<string, Role> = {}
values.project.forEach((project, i) => {
  const role = values.role[i]!
  if (!(ROLES as readonly string[]).includes(role)) fail(`unknown role "${role}" (owner, admin, editor, viewer)`)
  roles[project] = role as Role
})
const hours = Number(values.hours)
if (!Number.isFinite(hours) || hours <= 0) fail('--hours must be a positive number')

const config = loadConfig(process.env)
process.stdout.write(signToken(config.jwtSecret, { sub: values.sub, roles, ...(values.team ? { team: values.team } : {}) }, { expiresInSeconds: Math.round(hours * 3600) }) + '\n')
