/**
 * Types of `<integration-status-bar>` and `<integration-settings>` (web/components.js) for
 * TypeScript pages: the elements' properties, and their DOM events' details.
 */
import type { Action, Connection, StatusEnvelope } from './status-client.js'

export declare const STALE_BADGE_MS: number
export declare const STALE_AMBER_MS: number

/** Detail of `integration-status-change`: fired when what the element shows changes. */
export interface IntegrationStatusChangeDetail {
  envelope: StatusEnvelope | undefined
  connection: Connection
}

/** Detail of `integration-action`: each step of an action started from the element. */
export interface IntegrationActionDetail {
  provider: string
  action: string
  status: 'pending' | 'succeeded' | 'failed'
  /** Human, in the element's language. */
  message: string
  /** Seconds until a rate-limited action may be tried again. */
  retryAfter?: number
}

export interface IntegrationElementEventMap extends HTMLElementEventMap {
  'integration-status-change': CustomEvent<IntegrationStatusChangeDetail>
  'integration-action': CustomEvent<IntegrationActionDetail>
}

declare class IntegrationElement extends HTMLElement {
  /** Attribute `project-id`. Setting it (re)connects. */
  projectId: string
  /** Attribute `base-url`: where the service is; '' = this origin. */
  baseUrl: string
  /** Attribute `theme`: 'light' or 'dark' forces one; '' follows prefers-color-scheme. */
  theme: '' | 'light' | 'dark'
  /** The client's state: the caller's envelope and the connection. Read-only. */
  readonly state: { envelope?: StatusEnvelope, connection: Connection } | undefined
  addEventListener<K extends keyof IntegrationElementEventMap>(type: K, listener: (this: this, event: IntegrationElementEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void
  addEventListener (type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void
  removeEventListener<K extends keyof IntegrationElementEventMap>(type: K, listener: (this: this, event: IntegrationElementEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void
  removeEventListener (type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void
  /** Runs an action as its button would; resolves with the finished action, or undefined when it failed. */
  run (provider: string, action: string, label: string, params?: Record<string, unknown>): Promise<Action | undefined>
}

export declare class IntegrationStatusBarElement extends IntegrationElement {}
export declare class IntegrationSettingsElement extends IntegrationElement {}

declare global {
  interface HTMLElementTagNameMap {
    'integration-status-bar': IntegrationStatusBarElement
    'integration-settings': IntegrationSettingsElement
  }
}
