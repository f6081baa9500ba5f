import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { generateOpenApiDocument, toClientTypes, toYaml } from '../openapi-document.js'

// npm run openapi: writes openapi.yaml and the typed client's schema; both are committed,
// and test/contract fails when either differs from what the code generates.
const root = new URL('../../', import.meta.url)
const document = await generateOpenApiDocument()
await writeFile(fileURLToPath(new URL('openapi.yaml', root)), toYaml(document))
await writeFile(fileURLToPath(new URL('src/client/openapi.d.ts', root)), await toClientTypes(document))
process.stdout.write('wrote openapi.yaml and src/client/openapi.d.ts\n')
