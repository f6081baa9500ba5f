// @ts-check
/**
 * Localization of the components: one catalog per locale (locale-en.js, locale-de.js), dates and
 * relative times through Intl. The locale comes from the nearest `lang` attribute (the element's
 * own, an ancestor's, or the document's), then the browser's; unknown locales fall back to English.
 */
import en from './locale-en.js'
import de from './locale-de.js'

/** @typedef {typeof en} Catalog */

/** @type {Record<string, Catalog>} */
export const CATALOGS = { en, de }

/** @param {Element} element */
export function localeOf (element) {
  const lang = element.closest('[lang]')?.getAttribute('lang') || document.documentElement.lang || navigator.language || 'en'
  return lang
}

/** @param {string} lang */
const catalogFor = (lang) => CATALOGS[lang.toLowerCase().split('-')[0] ?? 'en'] ?? en

/**
 * What a component needs to speak one locale.
 * @param {string} lang
 */
export function translator (lang) {
  const catalog = catalogFor(lang)
  const locale = CATALOGS[lang.toLowerCase().split('-')[0] ?? ''] ? lang : 'en'
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' })

  /**
   * The string at a dotted path, with {name} placeholders filled in. A missing key falls back to
   * English, then to the key itself, so a partial catalog never renders blank.
   * @param {string} path @param {Record<string, string | number>} [vars]
   */
  function t (path, vars = {}) {
    const lookup = (/** @type {any} */ from) => path.split('.').reduce((node, part) => (node && typeof node === 'object' ? node[part] : undefined), from)
    const text = lookup(catalog) ?? lookup(en)
    const template = typeof text === 'string' ? text : path
    return template.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? `{${name}}`))
  }

  /** "3 minutes ago" / "vor 3 Minuten". @param {number} ms the age */
  function ago (ms) {
    const s = Math.max(0, Math.round(ms / 1000))
    if (s < 60) return relative.format(-s, 'second')
    const m = Math.round(s / 60)
    if (m < 60) return relative.format(-m, 'minute')
    const h = Math.round(m / 60)
    if (h < 48) return relative.format(-h, 'hour')
    return relative.format(-Math.round(h / 24), 'day')
  }

  return { locale, t, ago, dateTime: (/** @type {number} */ ms) => dateTime.format(ms) }
}

/** @typedef {ReturnType<typeof translator>} Translator */
