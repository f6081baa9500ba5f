import neostandard, { resolveIgnoresFromGitignore } from 'neostandard'
import globals from 'globals'

export default [
  ...neostandard({ ts: true, ignores: [...resolveIgnoresFromGitignore(), 'clients/typescript/src/openapi.ts', 'clients/hey-api/src/**'] }),
  // The browser client and components run in the page.
  { files: ['web/**/*.js'], languageOptions: { globals: globals.browser } },
  {
    // TypeBox idiom: a schema value and its static type share one name (`Role` and `type Role`).
    rules: { '@typescript-eslint/no-redeclare': 'off' }
  }
]
