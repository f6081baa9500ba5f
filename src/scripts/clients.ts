import { readFile, writeFile } from 'node:fs/promises'
import { generateHeyApi, HEY_API_OUTPUT, OPENAPI_PATH, TYPESCRIPT_CLIENT_TYPES, typescriptClientTypes } from '../client-generation.js'

// npm run clients (also the last step of npm run openapi): regenerates the two committed
// clients from the committed openapi.yaml.
await writeFile(TYPESCRIPT_CLIENT_TYPES, await typescriptClientTypes(await readFile(OPENAPI_PATH, 'utf8')))
await generateHeyApi(OPENAPI_PATH, HEY_API_OUTPUT)
process.stdout.write('wrote clients/typescript/src/openapi.ts and clients/hey-api/src/\n')
