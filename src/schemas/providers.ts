import { Type, type Static } from '@sinclair/typebox'
import { ref } from './common.js'
import { ProviderKeyRef } from './integration-link.js'

const jsonSchema = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description })

export const ProviderInfo = Type.Object({
  key: ProviderKeyRef,
  label: Type.String({ description: 'Display name' }),
  oauth: Type.Boolean({ description: 'Whether connect goes through the provider\'s OAuth flow (else it takes the credentials)' }),
  config: jsonSchema('JSON Schema of the link config'),
  credentials: jsonSchema('JSON Schema of the credentials: string properties carry `title`; secrets are `writeOnly: true`')
}, { $id: 'ProviderInfo' })

export const ProviderList = Type.Object({
  providers: Type.Array(ref(ProviderInfo), { description: 'In the order the service lists providers everywhere' })
}, { $id: 'ProviderList' })

export type ProviderList = Static<typeof ProviderList>
