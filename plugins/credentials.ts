import fp from 'fastify-plugin'
import { createCredentialsCipher, type CredentialsCipher } from '../src/lib/credentials-cipher.js'

declare module 'fastify' {
  interface FastifyInstance {
    credentials: CredentialsCipher
  }
}

export default fp(async function credentialsPlugin (fastify) {
  fastify.decorate('credentials', createCredentialsCipher(fastify.config.credentialsKey))
}, { name: 'credentials', dependencies: ['config'], fastify: '5.x' })
