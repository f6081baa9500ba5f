/** A boot-time configuration problem; its message names the variable and never echoes secret values. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}
