import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { generateOpenApiDocument, toYaml } from '../openapi-document.js'

// npm run openapi: writes openapi.yaml (committed; test/contract fails when it differs from what
// the code generates); `npm run openapi` then runs src/scripts/clients.ts, which generates both
// clients from that file.
const root = new URL('../../', import.meta.url)
const document = await generateOpenApiDocument()
await writeFile(fileURLToPath(new URL('openapi.yaml', root)), toYaml(document))
process.stdout.write('wrote openapi.yaml\n')
