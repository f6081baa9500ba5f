/**
 * PostgreSQL cannot store U+0000 in text or jsonb ("invalid byte sequence for encoding UTF8:
 * 0x00", "unsupported Unicode escape sequence"), and jsonb refuses a lone surrogate ("\ud800";
 * text silently turns it into U+FFFD). What callers send is refused at validation
 * (src/lib/validation.ts). What providers send (status text, action results, webhook fields) is
 * kept with those characters replaced by U+FFFD, so one odd character can never make a write fail.
 */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what it looks for
export const UNSTORABLE = /[\u0000\ud800-\udfff]/u
// eslint-disable-next-line no-control-regex -- the same, for replacing
const UNSTORABLE_ALL = /[\u0000\ud800-\udfff]/gu
/** How JSON.stringify writes those characters: the escapes jsonb refuses. */
const ESCAPED = /\\u(0000|d[89a-f])/i

export const storable = (text: string) => text.replace(UNSTORABLE_ALL, '\ufffd')

/** JSON.stringify for a jsonb column: every string and key made storable. Plain stringify when there is nothing to replace. */
export function storableJson (value: unknown): string {
  const text = JSON.stringify(value)
  if (!ESCAPED.test(text)) return text
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'string') return storable(item)
    if (typeof item === 'object' && item !== null && !Array.isArray(item) && Object.keys(item).some((key) => UNSTORABLE.test(key))) {
      return Object.fromEntries(Object.entries(item).map(([key, inner]) => [storable(key), inner]))
    }
    return item
  })
}
