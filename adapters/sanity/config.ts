import { Type } from '@sinclair/typebox'
import { httpUrl, optionalSecret } from '../../src/provider-kit/env.js'

/** A link: the Sanity project and the dataset whose content the status counts. */
export const SanityLinkConfig = Type.Object({
  projectId: Type.String({ title: 'Project', pattern: '^[a-z0-9]{1,64}$', maxLength: 64 }),
  dataset: Type.String({ title: 'Dataset', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', maxLength: 64 })
}, { $id: 'SanityLinkConfig', additionalProperties: false })

export const SanityEnv = Type.Object({
  SANITY_API_URL: httpUrl('Sanity data API template with {projectId}', 'https://{projectId}.api.sanity.io', '^https?://[^\\s]*\\{projectId\\}[^\\s]*$'),
  SANITY_MANAGEMENT_API_URL: httpUrl('Sanity global API base', 'https://api.sanity.io'),
  SANITY_WEBHOOK_SECRET: optionalSecret('Secret of the Sanity GROQ webhook', 8)
})
