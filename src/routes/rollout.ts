import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'
import { BEARER_OR_COOKIE, ProjectId, errorResponses, ref } from '../schemas/common.js'
import { PutRolloutOverrideBody, RolloutOverride, RolloutState, TeamId } from '../schemas/rollout.js'
import { varyOn } from '../lib/vary.js'

const ProjectParams = Type.Object({ projectId: ProjectId })
const TeamParams = Type.Object({ team: TeamId })
// A project's override: its owners and admins, as for its links.
const manageProject = { auth: { roles: ['owner', 'admin'] as const } }
// A team's override: any authenticated caller gets this far; teamManager decides.
const manageTeam = { auth: {} }

/**
 * Only a caller whose token names the team and who owns or administers at least one project.
 * Runs before validation, as the project check does, so others learn nothing from 400s.
 */
async function teamManager (request: FastifyRequest) {
  const user = request.user!
  const { team } = request.params as { team?: string }
  const manages = Object.values(user.roles).some((role) => role === 'owner' || role === 'admin')
  if (!user.team || user.team !== team || !manages) {
    throw new AppError('FORBIDDEN', 'Only an owner or admin whose token names this team can change its rollout')
  }
}

const rolloutRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const rollout = fastify.rollout

  fastify.get('/api/integrations/rollout', {
    config: { auth: { roles: 'any' } },
    schema: {
      tags: ['rollout'],
      operationId: 'getRollout',
      summary: 'Whether the project gets the new integrations UI',
      description: [
        'Call before opening streams; when `enabled` is false, render nothing.',
        'Rules in order: project override > team override > project allowlist > team allowlist > percentage of teams (when a team is known) > default.',
        'The team is the project\'s, else the caller\'s `team` claim. Overrides take effect on every instance at once.'
      ].join(' '),
      security: BEARER_OR_COOKIE,
      querystring: Type.Object({ projectId: ProjectId }, { additionalProperties: false }),
      response: {
        200: {
          ...ref(RolloutState),
          headers: {
            'Cache-Control': Type.Literal('private, no-cache', { description: 'Per caller, and it changes at run time: no shared or stored copies' })
          }
        },
        ...errorResponses(400, 401, 403)
      }
    }
  }, async (request, reply) => {
    const state = await rollout.evaluate(request.query.projectId, request.user!.team)
    // The answer depends on the caller's team and changes at runtime: no shared or stored copies.
    reply.header('cache-control', 'private, no-cache')
    varyOn(reply, ['Authorization', 'Cookie'])
    return state
  })

  fastify.put('/api/integrations/rollout/projects/:projectId', {
    config: manageProject,
    schema: {
      tags: ['rollout'],
      operationId: 'putProjectRolloutOverride',
      summary: 'Turn the rollout on or off for one project, whatever the configuration and its team say',
      description: 'Takes effect on every instance at once. 201 when the override is new, 200 when it replaced one.',
      security: BEARER_OR_COOKIE,
      params: ProjectParams,
      body: ref(PutRolloutOverrideBody),
      response: { 200: ref(RolloutOverride), 201: ref(RolloutOverride), ...errorResponses(400, 401, 403, 413, 415) }
    }
  }, async (request, reply) => {
    const { projectId } = request.params
    const { override, created } = await rollout.setOverride('project', projectId, request.body.enabled, request.user!.sub)
    request.log.info({ projectId, enabled: override.enabled, userId: request.user!.sub }, 'rollout project override set')
    return reply.code(created ? 201 : 200).send(override)
  })

  fastify.delete('/api/integrations/rollout/projects/:projectId', {
    config: manageProject,
    schema: {
      tags: ['rollout'],
      operationId: 'deleteProjectRolloutOverride',
      summary: 'Remove the project\'s override; the team and configured rules decide again',
      description: '404 when the project has no override.',
      security: BEARER_OR_COOKIE,
      params: ProjectParams,
      response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses(400, 401, 403, 404, 413, 415) }
    }
  }, async (request, reply) => {
    const { projectId } = request.params
    if (!await rollout.removeOverride('project', projectId)) throw new AppError('ROLLOUT_OVERRIDE_NOT_FOUND')
    request.log.info({ projectId, userId: request.user!.sub }, 'rollout project override removed')
    return reply.code(204).send(null)
  })

  fastify.put('/api/integrations/rollout/teams/:team', {
    config: manageTeam,
    preValidation: teamManager,
    schema: {
      tags: ['rollout'],
      operationId: 'putTeamRolloutOverride',
      summary: 'Turn the rollout on or off for every project of a team',
      description: 'Only a caller whose token\'s `team` claim is this team and who is owner or admin on at least one project. A project\'s own override still wins.',
      security: BEARER_OR_COOKIE,
      params: TeamParams,
      body: ref(PutRolloutOverrideBody),
      response: { 200: ref(RolloutOverride), 201: ref(RolloutOverride), ...errorResponses(400, 401, 403, 413, 415) }
    }
  }, async (request, reply) => {
    const { team } = request.params
    const { override, created } = await rollout.setOverride('team', team, request.body.enabled, request.user!.sub)
    request.log.info({ team, enabled: override.enabled, userId: request.user!.sub }, 'rollout team override set')
    return reply.code(created ? 201 : 200).send(override)
  })

  fastify.delete('/api/integrations/rollout/teams/:team', {
    config: manageTeam,
    preValidation: teamManager,
    schema: {
      tags: ['rollout'],
      operationId: 'deleteTeamRolloutOverride',
      summary: 'Remove the team\'s override; the configured rules decide again',
      description: 'Only a caller who may set it (see putTeamRolloutOverride). 404 when the team has no override.',
      security: BEARER_OR_COOKIE,
      params: TeamParams,
      response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses(400, 401, 403, 404, 413, 415) }
    }
  }, async (request, reply) => {
    const { team } = request.params
    if (!await rollout.removeOverride('team', team)) throw new AppError('ROLLOUT_OVERRIDE_NOT_FOUND')
    request.log.info({ team, userId: request.user!.sub }, 'rollout team override removed')
    return reply.code(204).send(null)
  })
}

export default rolloutRoutes
