// @ts-check
/**
 * Web components over the status client: `<integration-status-bar>` and `<integration-settings>`.
 * No framework; they work in plain pages and inside React, Vue or any other (docs/ui.md, and the
 * types in components.d.ts).
 *
 * Attributes (each also a property): `project-id` (projectId), `base-url` (baseUrl), `theme`
 * ("light" | "dark"; unset follows prefers-color-scheme) and `lang` (else the nearest ancestor's,
 * else the document's). Events (bubbling, composed): `integration-status-change` when what the
 * element shows changes, `integration-action` at each step of an action started from it.
 *
 * Both render nothing while the project is outside the rollout, speak through one polite live
 * region only when a status changes or an action someone started ends, and use native buttons,
 * inputs and <dialog> (keyboard operable, visible focus).
 *
 * @typedef {import('./status-client.js').StatusEnvelope} StatusEnvelope
 * @typedef {import('./status-client.js').IntegrationStatus} IntegrationStatus
 * @typedef {import('./status-client.js').ClientState} ClientState
 * @typedef {import('./status-client.js').Action} Action
 * @typedef {IntegrationStatus['actions'] extends (infer A)[] | undefined ? A : never} ItemAction
 * @typedef {{ action: string, label: string, state: 'pending' | 'succeeded' | 'failed' | 'limited', message: string, retryAt?: number }} ActionResult
 * @typedef {{ type?: string, title?: string, pattern?: string, minLength?: number, maxLength?: number, writeOnly?: boolean }} FieldSchema
 * @typedef {{ properties?: Record<string, FieldSchema>, required?: string[] }} ObjectSchema
 * @typedef {{ key: string, label: string, oauth: boolean, config: ObjectSchema, credentials: ObjectSchema }} ProviderEntry
 */
import { statusClientFor } from './status-client.js'
import { localeOf, translator } from './i18n.js'
import { ICONS, STYLE } from './styles.js'

/** The plan's staleness thresholds. */
export const STALE_BADGE_MS = 90_000
export const STALE_AMBER_MS = 5 * 60_000
const RERENDER_MS = 5_000
const FLOWS = new Set(['connect', 'reconnect', 'disconnect'])

/** @param {unknown} text */
const escape = (text) => String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * How stale an item looks: `badge` (a subtle clock) when flagged stale or older than 90 s,
 * `amber` when older than 5 minutes.
 * @param {IntegrationStatus} item @param {number} now
 */
export function staleness (item, now) {
  const age = now - Date.parse(item.updatedAt)
  if (age > STALE_AMBER_MS) return { level: 'amber', age }
  if (item.stale || age > STALE_BADGE_MS) return { level: 'badge', age }
  return { level: 'fresh', age }
}

/** @type {Map<string, Promise<ProviderEntry[]>>} the provider catalog, read once per service */
const catalogs = new Map()
/** @param {string} baseUrl */
function providerCatalog (baseUrl) {
  let catalog = catalogs.get(baseUrl)
  if (!catalog) {
    catalog = fetch(`${baseUrl}/api/providers`, { credentials: 'include' }).then(async (response) => {
      if (!response.ok) throw new Error(`providers ${response.status}`)
      return (await response.json()).providers
    })
    catalog.catch(() => catalogs.delete(baseUrl))
    catalogs.set(baseUrl, catalog)
  }
  return catalog
}

/** Shared by both components: the client, rendering, announcements, actions and their results. */
class IntegrationElement extends HTMLElement {
  static get observedAttributes () { return ['project-id', 'base-url', 'lang', 'theme'] }

  constructor () {
    super()
    this.root = this.attachShadow({ mode: 'open' })
    /** @type {ClientState | undefined} */
    this.current = undefined
    /** @type {Map<string, ActionResult>} the latest action result per provider */
    this.results = new Map()
    /** @type {Map<string, string>} last announced status per provider */
    this.announced = new Map()
    /** @type {(() => void)[]} */
    this.stops = []
    /** @type {unknown} */
    this.countdown = undefined
    this.lastChange = ''
    this.i18n = translator('en')
    const style = document.createElement('style')
    style.textContent = STYLE
    this.view = document.createElement('div')
    // The live region stays in place across renders: screen readers announce changes to an
    // existing region, not a region that was just inserted.
    this.live = document.createElement('div')
    this.live.className = 'sr'
    this.live.setAttribute('role', 'status')
    this.live.setAttribute('aria-live', 'polite')
    this.root.append(style, this.view, this.live)
    /** @type {import('./status-client.js').StatusClient | undefined} */
    this.client = undefined
    this.root.addEventListener('click', (event) => this.onClick(event))
  }

  get projectId () { return this.getAttribute('project-id') ?? '' }
  set projectId (value) { this.setAttribute('project-id', value) }
  get baseUrl () { return this.getAttribute('base-url') ?? '' }
  set baseUrl (value) { this.setAttribute('base-url', value) }
  get theme () { return this.getAttribute('theme') ?? '' }
  set theme (value) { if (value) this.setAttribute('theme', value); else this.removeAttribute('theme') }
  /** The client's state (envelope and connection), read-only. */
  get state () { return this.current }

  /** @param {string} name @param {string | null} before @param {string | null} after */
  attributeChangedCallback (name, before, after) {
    if (!this.isConnected || before === after) return
    if (name === 'theme') return // CSS only
    if (name === 'lang') {
      this.i18n = translator(localeOf(this))
      this.render()
      return
    }
    // A page may set project-id or base-url after the element is in the document.
    this.disconnectedCallback()
    this.connectedCallback()
  }

  connectedCallback () {
    this.i18n = translator(localeOf(this))
    const projectId = this.projectId
    if (!projectId || this.stops.length > 0) return
    this.client = statusClientFor({ projectId, baseUrl: this.baseUrl })
    this.stops.push(this.client.subscribe((state) => {
      this.announce(state.envelope)
      this.current = state
      this.render()
      this.changed(state)
    }))
    // Ages move on without events: re-render so badges appear on time.
    const timer = setInterval(() => this.render(), RERENDER_MS)
    this.stops.push(() => clearInterval(timer))
  }

  disconnectedCallback () {
    for (const stop of this.stops.splice(0)) stop()
    clearInterval(/** @type {any} */ (this.countdown))
    this.countdown = undefined
  }

  /** @param {string} type @param {unknown} detail */
  emit (type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }))
  }

  /** `integration-status-change`, when what is shown changes (not on every refresh). @param {ClientState} state */
  changed (state) {
    const key = `${state.envelope?.renderHash ?? ''} ${state.connection}`
    if (key === this.lastChange) return
    this.lastChange = key
    this.emit('integration-status-change', { envelope: state.envelope, connection: state.connection })
  }

  /** @param {IntegrationStatus} item */
  label (item) { return item.label ?? item.key }

  /** Tells screen readers what changed, once per change. @param {StatusEnvelope | undefined} envelope */
  announce (envelope) {
    if (!envelope) return
    const changes = []
    for (const item of envelope.items) {
      const before = this.announced.get(item.key)
      if (before !== undefined && before !== item.status) {
        changes.push(this.i18n.t('announceChange', { label: this.label(item), status: this.i18n.t(`status.${item.status}`) }))
      }
      this.announced.set(item.key, item.status)
    }
    if (changes.length > 0) this.say(changes.join('. '))
  }

  /** @param {string} text */
  say (text) {
    this.live.textContent = text
  }

  /**
   * Runs an action and keeps its result next to where it was started: pending, then done or
   * failed with a human message; a rate limit counts down to when it may be tried again.
   * Resolves with the final action, or undefined when it was refused or failed.
   * @param {string} provider @param {string} actionId @param {string} label @param {Record<string, unknown>} [params]
   * @returns {Promise<Action | undefined>}
   */
  run (provider, actionId, label, params) {
    const client = this.client
    if (!client) return Promise.resolve(undefined)
    const { t } = this.i18n
    const item = this.current?.envelope?.items.find((i) => i.key === provider)
    const providerLabel = item ? this.label(item) : provider
    /** @param {ActionResult} result */
    const set = (result) => {
      this.results.set(provider, result)
      this.render()
      this.emit('integration-action', { provider, action: actionId, status: result.state === 'limited' ? 'failed' : result.state, message: result.message, ...(result.retryAt ? { retryAfter: Math.ceil((result.retryAt - Date.now()) / 1000) } : {}) })
    }
    set({ action: actionId, label, state: 'pending', message: t('action.pending', { action: label }) })
    return new Promise((resolve) => {
      client.runAction(provider, actionId, params).then((accepted) => {
        const show = (/** @type {Action} */ a) => {
          if (a.status === 'succeeded') {
            set({ action: actionId, label, state: 'succeeded', message: t('action.succeeded', { action: label }) })
            this.say(t('action.announceDone', { label: providerLabel, action: label }))
            resolve(a)
          } else if (a.status === 'failed') {
            const message = t('action.failed', { action: label, message: a.error?.message ?? '' })
            set({ action: actionId, label, state: 'failed', message })
            this.say(t('action.announceFailed', { label: providerLabel, action: label }))
            resolve(undefined)
          }
        }
        show(accepted)
        if (accepted.status !== 'succeeded' && accepted.status !== 'failed') client.followAction(accepted.id, show)
      }).catch((/** @type {Error & { status?: number, body?: { code?: string, message?: string }, retryAfter?: number }} */ error) => {
        if (error.status === 429) {
          const retryAt = Date.now() + (error.retryAfter ?? 60) * 1000
          set({ action: actionId, label, state: 'limited', message: '', retryAt })
          this.tickCountdown()
        } else {
          set({ action: actionId, label, state: 'failed', message: t('action.failed', { action: label, message: this.errorText(error) }) })
        }
        this.say(t('action.announceFailed', { label: providerLabel, action: label }))
        resolve(undefined)
      })
    })
  }

  /** A refusal in the reader's words. @param {Error & { status?: number, body?: { code?: string, message?: string } }} error */
  errorText (error) {
    const { t } = this.i18n
    const code = error.body?.code
    if (!error.status) return t('errors.network')
    if (code === 'INVALID_ACTION_PARAMS' || code === 'ACTION_NOT_AVAILABLE') return error.body?.message ?? code
    if (code && t(`errors.${code}`) !== `errors.${code}`) return t(`errors.${code}`)
    return t('errors.other', { code: code ?? String(error.status) })
  }

  /** While a rate limit is counting down, re-render every second. */
  tickCountdown () {
    if (this.countdown !== undefined) return
    this.countdown = setInterval(() => {
      const waiting = [...this.results.values()].some((r) => r.state === 'limited' && (r.retryAt ?? 0) > Date.now())
      if (!waiting) {
        clearInterval(/** @type {any} */ (this.countdown))
        this.countdown = undefined
      }
      this.render()
    }, 1000)
  }

  /** Seconds until a rate-limited provider may be tried again, or 0. @param {string} provider */
  waitFor (provider) {
    const result = this.results.get(provider)
    if (result?.state !== 'limited' || !result.retryAt) return 0
    return Math.max(0, Math.ceil((result.retryAt - Date.now()) / 1000))
  }

  /** @param {string} provider */
  renderResult (provider) {
    const result = this.results.get(provider)
    if (!result) return ''
    const { t } = this.i18n
    let message = result.message
    let state = result.state
    if (state === 'limited') {
      const seconds = this.waitFor(provider)
      message = seconds > 0 ? t('action.retryIn', { seconds }) : t('action.retryNow')
      if (seconds === 0) state = 'succeeded'
    }
    const spinner = state === 'pending' ? '<span class="spin" aria-hidden="true"></span>' : ''
    return `<p class="msg" part="message" data-progress="${escape(provider)}" data-state="${state}" data-retry="${this.waitFor(provider)}">${spinner}<span>${escape(message)}</span></p>`
  }

  /**
   * One action button. Disabled while the provider's last action is pending or rate limited;
   * one the caller may not run is disabled with the service's reason as its tooltip.
   * @param {IntegrationStatus} item @param {ItemAction} action @param {string} [className] @param {string} [text]
   */
  button (item, action, className = '', text = action.label) {
    const busy = this.results.get(item.key)?.state === 'pending' || this.waitFor(item.key) > 0
    const refused = !action.can
    const disabled = refused || busy
    const name = `${text} ${this.label(item)}`
    return `<button type="button" part="button${className ? ` ${className}-button` : ''}" class="${className}" data-provider="${escape(item.key)}" data-action="${escape(action.id)}" data-label="${escape(action.label)}"` +
      `${disabled ? ' disabled' : ''}${refused ? ` title="${escape(action.reason ?? '')}"` : ''} aria-label="${escape(refused && action.reason ? `${name}: ${action.reason}` : name)}">${escape(text)}</button>`
  }

  /**
   * Replaces each keyed child's content when it changed, keeping keyboard focus on the same
   * control (re-rendering must not throw a keyboard user back to the top every few seconds).
   * A part's `init` fills a new node once; its html then goes into the node's `.body` when it has one.
   * @param {HTMLElement} container @param {Array<{ key: string, html: string, tag?: string, attrs?: Record<string, string>, init?: (node: HTMLElement) => void }>} parts
   */
  patch (container, parts) {
    const focused = this.root.activeElement
    const selector = focused instanceof HTMLElement && focused.dataset.action
      ? `button[data-provider="${focused.dataset.provider}"][data-action="${focused.dataset.action}"]`
      : undefined
    const children = /** @type {HTMLElement[]} */ ([...container.children])
    const existing = new Map(children.map((child) => [child.dataset.key ?? '', child]))
    let previous = /** @type {Element | null} */ (null)
    for (const part of parts) {
      let node = existing.get(part.key)
      existing.delete(part.key)
      if (!node || node.tagName.toLowerCase() !== (part.tag ?? 'div')) {
        node?.remove()
        node = document.createElement(part.tag ?? 'div')
        node.dataset.key = part.key
        part.init?.(node)
      }
      for (const [name, value] of Object.entries(part.attrs ?? {})) if (node.getAttribute(name) !== value) node.setAttribute(name, value)
      const body = /** @type {HTMLElement} */ (node.querySelector(':scope > .body') ?? node)
      if (node.dataset.html !== part.html) {
        node.dataset.html = part.html
        body.innerHTML = part.html
      }
      const expected = previous ? previous.nextElementSibling : container.firstElementChild
      if (expected !== node) container.insertBefore(node, expected)
      previous = node
    }
    for (const stale of existing.values()) stale.remove()
    if (selector && !this.root.activeElement) {
      const again = /** @type {HTMLElement | null} */ (container.querySelector(selector))
      if (again && !(/** @type {HTMLButtonElement} */ (again).disabled)) again.focus()
    }
  }

  /** @param {Event} event */
  onClick (event) {
    const button = /** @type {HTMLElement} */ (event.target).closest('button[data-action]')
    if (!(button instanceof HTMLButtonElement) || button.disabled) return
    this.activate(button.dataset.provider ?? '', button.dataset.action ?? '', button.dataset.label ?? '', button)
  }

  /** @param {string} provider @param {string} action @param {string} label @param {HTMLButtonElement} _button */
  activate (provider, action, label, _button) {
    this.run(provider, action, label)
  }

  /** The state to render, or undefined once the view is cleared (nothing yet, or not in the rollout). */
  visibleState () {
    const state = this.current
    // Not in the rollout: nothing at all (and the client opened no stream).
    this.hidden = state?.connection === 'disabled'
    if (!state || this.hidden) {
      this.view.replaceChildren()
      return undefined
    }
    return state
  }

  /** @param {IntegrationStatus} item @param {number} now */
  icon (item, now) {
    const name = !item.visible ? 'hidden' : item.status
    return `<span class="icon i-${name}" part="status-icon" data-dot="${staleness(item, now).level === 'amber' && item.visible ? 'amber' : name}">${ICONS[name]}</span>`
  }

  /** The age line: plain when fresh, a clock when stale, amber past 5 minutes. @param {IntegrationStatus} item @param {number} now */
  age (item, now) {
    const { t, ago, dateTime } = this.i18n
    const stale = staleness(item, now)
    const when = ago(stale.age)
    const exact = dateTime(Date.parse(item.updatedAt))
    if (stale.level === 'fresh') return { level: stale.level, html: '', text: t('updated', { ago: when }), exact }
    const text = t(stale.level === 'amber' ? 'staleAmber' : 'staleBadge', { ago: when })
    return { level: stale.level, text, exact, html: `<span class="stale" part="stale" data-stale="${stale.level}" role="img" aria-label="${escape(text)}" title="${escape(`${text} · ${exact}`)}"><span class="icon">${ICONS.clock}</span>${stale.level === 'amber' ? `<span aria-hidden="true">${escape(when)}</span>` : ''}</span>` }
  }

  render () {}
}

class IntegrationStatusBar extends IntegrationElement {
  render () {
    const state = this.visibleState()
    if (!state) return
    const { t } = this.i18n
    const envelope = state.envelope
    const now = Date.now()
    if (!this.view.firstElementChild) {
      this.view.innerHTML = '<section class="bar" part="bar"><p class="overall" part="overall"></p><ul class="items" role="list"></ul><p class="conn" part="connection"></p></section>'
    }
    const bar = /** @type {HTMLElement} */ (this.view.querySelector('.bar'))
    bar.setAttribute('aria-label', t('barLabel'))
    const overall = /** @type {HTMLElement} */ (bar.querySelector('.overall'))
    const overallHtml = envelope
      ? `<span class="icon i-${envelope.overall}">${ICONS[envelope.overall]}</span>${escape(t(`overall.${envelope.overall}`))}`
      : escape(t('loading'))
    if (overall.innerHTML !== overallHtml) overall.innerHTML = overallHtml
    overall.dataset.overall = envelope?.overall ?? ''
    const items = (envelope?.items ?? []).filter((item) => item.visible)
    this.patch(/** @type {HTMLElement} */ (bar.querySelector('.items')), items.map((item) => {
      const stale = staleness(item, now)
      return { key: item.key, tag: 'li', html: this.renderItem(item, now), attrs: { class: 'item', part: 'item', 'data-provider': item.key, 'data-status': item.status, 'data-stale': stale.level } }
    }))
    const conn = /** @type {HTMLElement} */ (bar.querySelector('.conn'))
    const offline = state.connection === 'reconnecting' || state.connection === 'polling'
    const connHtml = `<span class="icon">${offline ? ICONS.offline : ICONS.live}</span>${escape(t(`connection.${state.connection}`))}`
    if (conn.innerHTML !== connHtml) conn.innerHTML = connHtml
    conn.dataset.connection = state.connection
  }

  /** @param {IntegrationStatus} item @param {number} now */
  renderItem (item, now) {
    const { t } = this.i18n
    const age = this.age(item, now)
    const actions = (item.actions ?? []).filter((a) => !FLOWS.has(a.id)).map((a) => this.button(item, a)).join('')
    return `${this.icon(item, now)}<span class="label" part="label">${escape(this.label(item))}</span>` +
      `<span class="sr">${escape(t(`status.${item.status}`))}${item.problem ? `: ${escape(this.problemTitle(item))}` : ''}</span>` +
      `<span class="summary" part="summary" title="${escape(age.text)}">${escape(item.summary ?? '')}</span>${age.html}` +
      `${actions ? `<span class="actions">${actions}</span>` : ''}${this.renderResult(item.key)}`
  }

  /** @param {IntegrationStatus} item */
  problemTitle (item) {
    if (!item.problem) return ''
    const { t } = this.i18n
    const key = `problems.${item.problem.code}`
    return t(key) === key ? item.problem.title : t(key)
  }
}

class IntegrationSettings extends IntegrationElement {
  constructor () {
    super()
    /** @type {Map<string, { mode: 'connect' | 'reconnect' }>} open connect forms, per provider */
    this.forms = new Map()
    /** @type {WeakMap<HTMLFormElement, { provider: string, mode: 'connect' | 'reconnect', oauth: boolean, config: Record<string, FieldSchema> }>} */
    this.formSpecs = new WeakMap()
    this.dialog = document.createElement('dialog')
    this.dialog.setAttribute('part', 'dialog')
    this.dialog.setAttribute('aria-labelledby', 'dialog-title')
    this.dialog.setAttribute('aria-describedby', 'dialog-body')
    this.root.append(this.dialog)
  }

  render () {
    const state = this.visibleState()
    if (!state) return
    const { t } = this.i18n
    const now = Date.now()
    if (!this.view.firstElementChild) this.view.innerHTML = '<section class="settings" part="settings"><ul class="cards" role="list"></ul></section>'
    const section = /** @type {HTMLElement} */ (this.view.firstElementChild)
    section.setAttribute('aria-label', t('settingsLabel'))
    const items = state.envelope?.items ?? []
    const cards = /** @type {HTMLElement} */ (section.querySelector('.cards'))
    // Each card: a body re-rendered from the status, and a slot for its form that renders never touch.
    this.patch(cards, items.map((item) => ({
      key: item.key,
      tag: 'li',
      html: this.renderCard(item, now),
      attrs: { class: 'card', part: 'card', 'data-provider': item.key, 'data-status': item.visible ? item.status : 'hidden' },
      init: (node) => { node.innerHTML = `<div class="body"></div><div class="form-slot" data-form="${escape(item.key)}"></div>` }
    })))
  }

  /** @param {IntegrationStatus} item @param {number} now */
  renderCard (item, now) {
    const { t } = this.i18n
    const label = escape(this.label(item))
    const head = (/** @type {string} */ status) => `<header class="card-head" part="card-header">${this.icon(item, now)}<h3 id="title-${escape(item.key)}" part="card-title">${label}</h3>` +
      `<span class="badge" part="status" data-status="${escape(item.status)}">${escape(status)}</span></header>`
    if (!item.visible) return `${head(t('hidden'))}<p class="note">${escape(t('hidden'))}</p>`
    const age = this.age(item, now)
    const environments = (item.environments ?? []).map((env) =>
      `<li><span class="icon i-${env.status}">${ICONS[env.status] ?? ''}</span><span><span class="sr">${escape(t(`status.${env.status}`))}: </span><strong>${escape(env.name)}</strong>${env.summary ? ` · ${escape(env.summary)}` : ''}</span></li>`).join('')
    const problem = item.problem
      ? `<div class="problem" part="problem" data-severity="${item.status === 'error' ? 'error' : 'warning'}"><strong part="problem-title">${escape(this.problemTitle(item))}</strong>${item.problem.hint ? `<p class="hint" part="hint" data-hint>${escape(item.problem.hint)}</p>` : ''}</div>`
      : ''
    const flows = (item.actions ?? []).filter((a) => FLOWS.has(a.id))
    const open = this.forms.get(item.key)
    const buttons = flows.map((a) => this.button(item, a, a.id === 'disconnect' ? 'quiet-danger' : a.id === 'connect' ? 'primary' : '', t(`manage.${a.id}`))).join('')
    const refused = flows.length > 0 && flows.every((a) => !a.can)
    return `${head(t(`status.${item.status}`))}` +
      `${item.summary ? `<p class="summary-line" part="summary">${escape(item.summary)}</p>` : ''}` +
      `${item.configured ? `<p class="updated" part="updated" data-stale="${age.level}" title="${escape(age.exact)}">${age.level === 'fresh' ? '' : `<span class="icon">${ICONS.clock}</span>`}<span>${escape(age.text)}</span></p>` : ''}` +
      `${environments ? `<ul class="envs" part="environments" aria-label="${escape(t('environments'))}">${environments}</ul>` : ''}` +
      problem +
      `${buttons && !open ? `<div class="actions">${buttons}</div>` : ''}` +
      `${refused ? `<p class="note" part="note">${escape(t('manage.viewerNote'))}</p>` : ''}` +
      this.renderResult(item.key)
  }

  /** @param {IntegrationStatus} item */
  problemTitle (item) {
    if (!item.problem) return ''
    const { t } = this.i18n
    const key = `problems.${item.problem.code}`
    return t(key) === key ? item.problem.title : t(key)
  }

  /** @param {string} provider @param {string} action @param {string} label @param {HTMLButtonElement} button */
  activate (provider, action, label, button) {
    if (action === 'disconnect') this.confirmDisconnect(provider, label, button)
    else if (action === 'connect' || action === 'reconnect') this.openForm(provider, action).catch(() => {})
    else this.run(provider, action, label)
  }

  /** @param {string} provider */
  itemOf (provider) { return this.current?.envelope?.items.find((i) => i.key === provider) }

  /**
   * The disconnect dialog: says what disconnecting removes here and what it leaves at the
   * provider; Cancel has the focus, Escape closes it, focus returns to the button.
   * @param {string} provider @param {string} label @param {HTMLButtonElement} button
   */
  confirmDisconnect (provider, label, button) {
    const { t } = this.i18n
    const item = this.itemOf(provider)
    const name = item ? this.label(item) : provider
    this.dialog.dataset.provider = provider
    this.dialog.innerHTML = `<h2 id="dialog-title">${escape(t('dialog.title', { label: name }))}</h2>` +
      `<div id="dialog-body"><p>${escape(t('dialog.removes'))}</p><p>${escape(t('dialog.keeps', { label: name }))}</p></div>` +
      '<div class="dialog-actions">' +
      `<button type="button" data-dialog="cancel" autofocus>${escape(t('dialog.cancel'))}</button>` +
      `<button type="button" class="danger" part="button danger-button" data-dialog="confirm">${escape(t('dialog.confirm'))}</button></div>`
    const close = () => {
      if (this.dialog.open) this.dialog.close()
      const again = /** @type {HTMLButtonElement | null} */ (this.root.querySelector(`button[data-provider="${provider}"][data-action="disconnect"]`))
      ;(again && !again.disabled ? again : button).focus()
    }
    const [cancel, confirm] = /** @type {HTMLButtonElement[]} */ ([...this.dialog.querySelectorAll('[data-dialog]')])
    if (!cancel || !confirm) return
    cancel.onclick = close
    confirm.onclick = () => {
      this.dialog.close()
      this.run(provider, 'disconnect', label).then((done) => {
        if (done) this.results.set(provider, { action: 'disconnect', label, state: 'succeeded', message: `${t('dialog.done', { label: name })} ${typeof done.result?.note === 'string' ? done.result.note : ''}`.trim() })
        this.render()
        const next = /** @type {HTMLElement | null} */ (this.root.querySelector(`button[data-provider="${provider}"]:not([disabled])`))
        next?.focus()
      })
    }
    this.dialog.oncancel = () => { setTimeout(close) }
    this.dialog.showModal()
  }

  /**
   * The connect (or reconnect) form, in the card: the link's config fields from the provider
   * catalog, then either the OAuth consent page or a token checked live before it is stored.
   * The token field is a password field that is emptied after each try and never rendered back.
   * @param {string} provider @param {'connect' | 'reconnect'} mode
   */
  async openForm (provider, mode) {
    const { t } = this.i18n
    const slot = /** @type {HTMLElement | null} */ (this.root.querySelector(`[data-form="${provider}"]`))
    const item = this.itemOf(provider)
    if (!slot || !item) return
    let entry
    try {
      entry = (await providerCatalog(this.baseUrl)).find((p) => p.key === provider)
    } catch {}
    if (!entry) {
      this.results.set(provider, { action: mode, label: mode, state: 'failed', message: t('form.loadFailed') })
      this.render()
      return
    }
    this.forms.set(provider, { mode })
    this.render()
    const label = this.label(item)
    const id = (/** @type {string} */ name) => `f-${provider}-${name}`
    /** @param {string} name @param {FieldSchema} schema @param {boolean} required @param {boolean} secret */
    const field = (name, schema, required, secret) => `<div class="field" part="field"><label for="${id(name)}">${escape(schema.title ?? name)}${required ? '' : ` <span class="muted">(${escape(t('form.optional'))})</span>`}</label>` +
      `<input id="${id(name)}" name="${escape(name)}" part="input" type="${secret ? 'password' : 'text'}" autocomplete="off" spellcheck="false" autocapitalize="off"${required ? ' required aria-required="true"' : ''} aria-describedby="${id(name)}-error">` +
      `<p class="error" id="${id(name)}-error" hidden></p></div>`
    const config = entry.config.properties ?? {}
    // Reconnect keeps the link's config; secrets inside a config (writeOnly) are not sent through connect.
    const configFields = mode === 'connect'
      ? Object.entries(config).filter(([, schema]) => !schema.writeOnly).map(([name, schema]) => field(name, schema, (entry.config.required ?? []).includes(name), false))
      : []
    const tokenFields = entry.oauth ? [] : Object.entries(entry.credentials.properties ?? {}).map(([name, schema]) => field(name, schema, true, true))
    slot.innerHTML = `<form class="form" part="form" novalidate aria-labelledby="${id('title')}" data-provider="${escape(provider)}" data-mode="${mode}">` +
      `<p class="form-title" id="${id('title')}">${escape(t(mode === 'connect' ? 'form.connectTitle' : 'form.reconnectTitle', { label }))}</p>` +
      `<p class="note">${escape(t(entry.oauth ? 'form.oauthNote' : 'form.tokenNote', { label }))}</p>` +
      configFields.join('') + tokenFields.join('') +
      `<div class="form-actions"><button type="submit" class="primary" part="button primary-button">${escape(entry.oauth ? t('form.submitOAuth', { label }) : t('form.submitToken'))}</button>` +
      `<button type="button" data-form-cancel>${escape(t('form.cancel'))}</button></div>` +
      '<p class="msg form-msg" part="message" hidden></p></form>'
    const form = /** @type {HTMLFormElement} */ (slot.querySelector('form'))
    // Not in form.dataset: a form's named fields shadow its properties (a config may have a field called "dataset").
    this.formSpecs.set(form, { provider, mode, oauth: entry.oauth, config: Object.fromEntries(Object.entries(config).filter(([, s]) => !s.writeOnly)) })
    const cancel = /** @type {HTMLButtonElement} */ (form.querySelector('[data-form-cancel]'))
    cancel.onclick = () => this.closeForm(provider, true)
    form.addEventListener('submit', (event) => { this.onSubmit(event).catch((error) => console.error(error)) })
    form.addEventListener('keydown', (event) => { if (event.key === 'Escape') this.closeForm(provider, true) })
    form.querySelector('input')?.focus()
  }

  /** @param {string} provider @param {boolean} refocus */
  closeForm (provider, refocus) {
    this.forms.delete(provider)
    const slot = this.root.querySelector(`[data-form="${provider}"]`)
    if (slot) slot.innerHTML = ''
    this.render()
    if (refocus) /** @type {HTMLElement | null} */ (this.root.querySelector(`button[data-provider="${provider}"]:not([disabled])`))?.focus()
  }

  /** Validates, then runs connect/reconnect: nothing is stored unless the provider accepts the token. @param {Event} event */
  async onSubmit (event) {
    const form = event.currentTarget
    event.preventDefault()
    const spec = form instanceof HTMLFormElement ? this.formSpecs.get(form) : undefined
    if (!(form instanceof HTMLFormElement) || !spec) return
    const { t } = this.i18n
    const { provider, mode } = spec
    const item = this.itemOf(provider)
    const label = item ? this.label(item) : provider
    /** @type {Record<string, string>} */ const config = {}
    /** @type {HTMLInputElement | undefined} */
    let firstInvalid
    for (const input of form.querySelectorAll('input')) {
      const value = input.value.trim()
      const schema = /** @type {FieldSchema | undefined} */ (spec.config[input.name])
      const title = input.labels?.[0]?.firstChild?.textContent?.trim() ?? input.name
      let problem = ''
      if (input.required && value === '') problem = t('form.required', { field: title })
      else if (value && schema?.pattern && !new RegExp(schema.pattern, 'u').test(value)) problem = t('form.invalid', { field: title })
      const error = /** @type {HTMLElement} */ (form.querySelector(`#${CSS.escape(input.getAttribute('aria-describedby') ?? '')}`))
      error.textContent = problem
      error.hidden = !problem
      input.setAttribute('aria-invalid', problem ? 'true' : 'false')
      if (problem && !firstInvalid) firstInvalid = input
      if (schema && value) config[input.name] = value
    }
    if (firstInvalid) {
      firstInvalid.focus()
      return
    }
    const tokenInput = /** @type {HTMLInputElement | null} */ (form.querySelector('input[type="password"]'))
    const token = tokenInput?.value.trim()
    // The secret leaves the field now: it is never kept in the page or shown again.
    if (tokenInput) tokenInput.value = ''
    const message = /** @type {HTMLElement} */ (form.querySelector('.form-msg'))
    const submit = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'))
    message.hidden = false
    message.dataset.state = 'pending'
    message.innerHTML = `<span class="spin" aria-hidden="true"></span><span>${escape(t(spec.oauth ? 'form.redirecting' : 'form.checking', { label }))}</span>`
    submit.disabled = true
    /** @type {Record<string, unknown>} */
    const params = { ...(mode === 'connect' ? { config } : {}), ...(token ? { token } : {}) }
    const done = await this.run(provider, mode, t(`manage.${mode}`), params)
    submit.disabled = false
    const authorizeUrl = done?.result && typeof done.result.authorizeUrl === 'string' ? done.result.authorizeUrl : undefined
    if (authorizeUrl) {
      // OAuth: the provider's consent page; its callback finishes the link.
      window.location.assign(authorizeUrl)
      return
    }
    if (done) {
      this.results.set(provider, { action: mode, label: mode, state: 'succeeded', message: t('form.connected', { label }) })
      this.closeForm(provider, true)
      return
    }
    const result = this.results.get(provider)
    this.results.delete(provider)
    this.render()
    message.dataset.state = 'failed'
    message.innerHTML = `<span>${escape(result?.state === 'limited' ? t('action.retryIn', { seconds: this.waitFor(provider) || 60 }) : result?.message ?? '')}</span>`
    if (tokenInput) tokenInput.focus()
  }
}

if (!customElements.get('integration-status-bar')) customElements.define('integration-status-bar', IntegrationStatusBar)
if (!customElements.get('integration-settings')) customElements.define('integration-settings', IntegrationSettings)
