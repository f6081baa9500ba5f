import neostandard, { resolveIgnoresFromGitignore } from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: [...resolveIgnoresFromGitignore(), 'src/client/openapi.d.ts'] }),
  {
    // TypeBox idiom: a schema value and its static type share one name (`Role` and `type Role`).
    rules: { '@typescript-eslint/no-redeclare': 'off' }
  }
]
