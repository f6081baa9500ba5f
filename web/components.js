// @ts-check
/**
 * Web components over the status client: `<integration-status-bar>` and `<integration-settings>`.
 * No framework. Both take `project-id` (and optionally `base-url`), share the page's client, render
 * nothing while the project is not in the rollout, announce status changes through an aria-live
 * region, and use native buttons (reachable and operable by keyboard).
 *
 * @typedef {import('./status-client.js').StatusEnvelope} StatusEnvelope
 * @typedef {import('./status-client.js').IntegrationStatus} IntegrationStatus
 * @typedef {import('./status-client.js').ClientState} ClientState
 * @typedef {import('./status-client.js').Action} Action
 */
import { statusClientFor } from './status-client.js'

/** The plan's staleness thresholds. */
export const STALE_BADGE_MS = 90_000
export const STALE_AMBER_MS = 5 * 60_000
const RERENDER_MS = 5_000

const STATUS_TEXT = /** @type {Record<string, string>} */ ({ connected: 'Connected', warning: 'Warning', error: 'Error', disconnected: 'Not connected' })

/** @param {string} text */
const escape = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** @param {number} ms */
function ago (ms) {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 90) return `${s} s ago`
  const m = Math.round(s / 60)
  return m < 90 ? `${m} min ago` : `${Math.round(m / 60)} h ago`
}

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

const STYLE = `
  :host { display: block; font: 14px/1.4 system-ui, sans-serif; color: #1f2328; }
  :host([hidden]) { display: none; }
  .bar { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 8px 12px; border: 1px solid #d0d7de; border-radius: 8px; background: #f6f8fa; }
  .overall { font-weight: 600; display: flex; align-items: center; gap: 6px; }
  .item { display: flex; align-items: center; gap: 6px; padding: 4px 8px; border-radius: 6px; background: #fff; border: 1px solid #e1e4e8; }
  .dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; flex: none; }
  .dot.connected { background: #1a7f37; } .dot.warning { background: #d29922; } .dot.error { background: #cf222e; } .dot.disconnected { background: #8c959f; }
  .dot.amber { background: #d29922; box-shadow: 0 0 0 2px #fff3cd; }
  .label { font-weight: 600; } .summary { color: #57606a; }
  .clock { font-size: 12px; color: #57606a; cursor: help; }
  button { font: inherit; font-size: 12px; padding: 2px 8px; border-radius: 6px; border: 1px solid #d0d7de; background: #fff; cursor: pointer; }
  button:disabled { color: #8c959f; cursor: not-allowed; }
  button:focus-visible { outline: 2px solid #0969da; outline-offset: 1px; }
  .progress { font-size: 12px; color: #0969da; }
  .conn { margin-left: auto; font-size: 12px; color: #57606a; }
  .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  table { border-collapse: collapse; width: 100%; } th { white-space: nowrap; } th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e1e4e8; vertical-align: top; }
  .hint { color: #57606a; font-size: 12px; }
`

/** Shared by both components: the client, re-rendering, announcements and action progress. */
class IntegrationElement extends HTMLElement {
  constructor () {
    super()
    this.root = this.attachShadow({ mode: 'open' })
    /** @type {ClientState | undefined} */
    this.current = undefined
    /** @type {Map<string, string>} progress text per provider */
    this.progress = new Map()
    /** @type {Map<string, string>} last announced status per provider */
    this.announced = new Map()
    /** @type {(() => void)[]} */
    this.stops = []
    // The live region stays in place across renders: screen readers announce changes to an
    // existing region, not a region that was just inserted.
    const style = document.createElement('style')
    style.textContent = STYLE
    this.view = document.createElement('div')
    this.live = document.createElement('div')
    this.live.className = 'sr'
    this.live.setAttribute('role', 'status')
    this.live.setAttribute('aria-live', 'polite')
    this.root.append(style, this.view, this.live)
    /** @type {import('./status-client.js').StatusClient | undefined} */
    this.client = undefined
    this.root.addEventListener('click', (event) => this.onClick(event))
  }

  /**
   * Replaces the content, keeping keyboard focus on the same control (re-rendering must not
   * throw a keyboard user back to the top of the page every few seconds).
   * @param {string} html
   */
  paint (html) {
    const focused = this.root.activeElement
    const selector = focused instanceof HTMLElement && focused.dataset.action
      ? `button[data-provider="${focused.dataset.provider}"][data-action="${focused.dataset.action}"]`
      : undefined
    this.view.innerHTML = html
    if (selector) /** @type {HTMLElement | null} */ (this.view.querySelector(selector))?.focus()
  }

  static get observedAttributes () { return ['project-id', 'base-url'] }

  /** A page may set the attributes after the element is in the document. */
  attributeChangedCallback () {
    if (!this.isConnected) return
    this.disconnectedCallback()
    this.connectedCallback()
  }

  connectedCallback () {
    const projectId = this.getAttribute('project-id')
    if (!projectId || this.stops.length > 0) return
    this.client = statusClientFor({ projectId, baseUrl: this.getAttribute('base-url') ?? '' })
    this.stops.push(this.client.subscribe((state) => {
      this.announce(state.envelope)
      this.current = state
      this.render()
    }))
    // Ages move on without events: re-render so badges appear on time.
    const timer = setInterval(() => this.render(), RERENDER_MS)
    this.stops.push(() => clearInterval(timer))
  }

  disconnectedCallback () {
    for (const stop of this.stops.splice(0)) stop()
  }

  /** Tells screen readers what changed, once per change. @param {StatusEnvelope | undefined} envelope */
  announce (envelope) {
    if (!envelope) return
    const changes = []
    for (const item of envelope.items) {
      const before = this.announced.get(item.key)
      if (before !== undefined && before !== item.status) changes.push(`${item.label} is now ${STATUS_TEXT[item.status]?.toLowerCase()}`)
      this.announced.set(item.key, item.status)
    }
    if (changes.length > 0) this.say(changes.join('. '))
  }

  /** @param {string} text */
  say (text) {
    this.live.textContent = text
  }

  /** @param {string} provider @param {string} actionId @param {string} label */
  async run (provider, actionId, label) {
    if (!this.client) return
    this.progress.set(provider, `${label}: sending…`)
    this.render()
    try {
      const action = await this.client.runAction(provider, actionId)
      const show = (/** @type {Action} */ a) => {
        const stage = a.progress && typeof a.progress.stage === 'string' ? ` (${a.progress.stage})` : ''
        this.progress.set(provider, `${label}: ${a.status}${stage}`)
        if (a.status === 'succeeded' && a.result && typeof a.result.url === 'string' && /^(connect|reconnect)$/.test(a.action)) {
          // connect/reconnect: the result is the provider's consent page.
          window.location.assign(a.result.url)
        }
        if (a.status === 'succeeded' || a.status === 'failed') this.say(`${label} ${a.status}`)
        this.render()
      }
      show(action)
      this.client.followAction(action.id, show)
    } catch (error) {
      this.progress.set(provider, `${label}: ${/** @type {Error} */ (error).message}`)
      this.render()
    }
  }

  /** @param {Event} event */
  onClick (event) {
    const button = /** @type {HTMLElement} */ (event.target).closest('button[data-action]')
    if (!(button instanceof HTMLButtonElement) || button.disabled) return
    this.run(button.dataset.provider ?? '', button.dataset.action ?? '', button.dataset.label ?? '')
  }

  /** The state to render, or undefined once the view is cleared (nothing yet, or not in the rollout). */
  visibleState () {
    const state = this.current
    // Not in the rollout: nothing at all (and the client opened no stream).
    this.hidden = state?.connection === 'disabled'
    if (!state || this.hidden) {
      this.view.innerHTML = ''
      return undefined
    }
    return state
  }

  render () {}
}

class IntegrationStatusBar extends IntegrationElement {
  render () {
    const state = this.visibleState()
    if (!state) return
    const envelope = state.envelope
    const now = Date.now()
    const items = (envelope?.items ?? []).filter((item) => item.visible)
    this.paint(`<div class="bar" role="region" aria-label="Integration status">
        <span class="overall" data-overall="${envelope?.overall ?? ''}"><span class="dot ${envelope?.overall ?? 'disconnected'}" aria-hidden="true"></span>${envelope ? `Integrations: ${STATUS_TEXT[envelope.overall]}` : 'Integrations: loading…'}</span>
        ${items.map((item) => this.renderItem(item, now)).join('')}
        <span class="conn" data-connection="${state.connection}">${state.connection === 'streaming' ? 'Live' : state.connection === 'polling' ? 'Updating every 15 s' : state.connection}</span>
      </div>`)
  }

  /** @param {IntegrationStatus} item @param {number} now */
  renderItem (item, now) {
    const label = item.label
    const stale = staleness(item, now)
    const dot = stale.level === 'amber' ? 'amber' : item.status
    const tooltip = stale.level === 'amber' ? ` title="Last updated ${ago(stale.age)}"` : ''
    const clock = stale.level === 'badge' ? `<span class="clock" data-stale="badge" title="Updated ${ago(stale.age)}${item.stale ? ' (stale)' : ''}" role="img" aria-label="Stale: updated ${ago(stale.age)}">🕒</span>` : ''
    const progress = this.progress.get(item.key)
    const actions = (item.actions ?? []).filter((a) => !['connect', 'reconnect', 'disconnect'].includes(a.id)).map((a) =>
      `<button type="button" data-provider="${item.key}" data-action="${escape(a.id)}" data-label="${escape(a.label)}" ${a.can ? '' : `disabled title="${escape(a.reason ?? 'Not allowed')}"`} aria-label="${escape(`${a.label} ${label}`)}${a.can ? '' : `: ${escape(a.reason ?? 'not allowed')}`}">${escape(a.label)}</button>`).join('')
    return `<span class="item" data-provider="${item.key}" data-status="${item.status}" data-stale="${stale.level}">
      <span class="dot ${dot}" data-dot="${dot}"${tooltip} aria-hidden="true"></span>
      <span class="label">${label}</span><span class="sr">${STATUS_TEXT[item.status]}</span>
      <span class="summary">${escape(item.summary ?? '')}</span>${clock}${actions}
      ${progress ? `<span class="progress" data-progress="${item.key}">${escape(progress)}</span>` : ''}
    </span>`
  }
}

class IntegrationSettings extends IntegrationElement {
  render () {
    const state = this.visibleState()
    if (!state) return
    const items = state.envelope?.items ?? []
    this.paint(`<section aria-label="Integration settings">
        <table>
          <thead><tr><th scope="col">Integration</th><th scope="col">Status</th><th scope="col">Environments</th><th scope="col">Problem</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
          <tbody>${items.map((item) => this.renderRow(item)).join('')}</tbody>
        </table>
      </section>`)
  }

  /** @param {IntegrationStatus} item */
  renderRow (item) {
    const label = item.label
    if (!item.visible) return `<tr data-provider="${item.key}"><th scope="row">${label}</th><td colspan="4">Hidden by project policy</td></tr>`
    const environments = (item.environments ?? []).map((env) =>
      `<li><span class="dot ${env.status}" aria-hidden="true"></span> ${escape(env.name)}: ${STATUS_TEXT[env.status] ?? env.status}${env.summary ? ` · ${escape(env.summary)}` : ''}</li>`).join('')
    const flows = (item.actions ?? []).filter((a) => ['connect', 'reconnect', 'disconnect'].includes(a.id)).map((a) =>
      `<button type="button" data-provider="${item.key}" data-action="${escape(a.id)}" data-label="${escape(a.label)}" ${a.can ? '' : `disabled title="${escape(a.reason ?? 'Not allowed')}"`}>${escape(a.label)}</button>`).join(' ')
    const progress = this.progress.get(item.key)
    return `<tr data-provider="${item.key}" data-status="${item.status}">
      <th scope="row"><span class="dot ${item.status}" aria-hidden="true"></span> ${label}</th>
      <td>${STATUS_TEXT[item.status]}<div class="hint">${escape(item.summary ?? '')}</div></td>
      <td>${environments ? `<ul>${environments}</ul>` : '—'}</td>
      <td>${item.problem ? `<strong>${escape(item.problem.code)}</strong><div class="hint" data-hint>${escape(item.problem.hint ?? '')}</div>` : '—'}</td>
      <td>${flows}${progress ? `<div class="progress" data-progress="${item.key}">${escape(progress)}</div>` : ''}</td>
    </tr>`
  }
}

if (!customElements.get('integration-status-bar')) customElements.define('integration-status-bar', IntegrationStatusBar)
if (!customElements.get('integration-settings')) customElements.define('integration-settings', IntegrationSettings)
