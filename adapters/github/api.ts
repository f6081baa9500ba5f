/** What every call to GitHub's REST API sends, wherever it is made (status, actions, OAuth). */

/** Pinned rather than defaulted, so a new default version cannot change what we parse. */
export const GITHUB_API_VERSION = '2022-11-28'
export const GITHUB_ACCEPT = 'application/vnd.github+json'

/** Lower-case names: provider-http sets its own `accept`, and these must replace it. */
export const GITHUB_HEADERS = { accept: GITHUB_ACCEPT, 'x-github-api-version': GITHUB_API_VERSION } as const
