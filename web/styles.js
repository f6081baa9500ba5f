// @ts-check
/**
 * The components' look: every colour, font and radius is a CSS custom property a host page may
 * set (docs/ui.md lists them); light and dark defaults (prefers-color-scheme, or the `theme`
 * attribute to force one); layouts for a narrow sidebar (container queries) up to a wide page.
 */

const LIGHT = `
  --_bg: var(--is-bg, #ffffff); --_surface: var(--is-surface, #f6f8fa); --_border: var(--is-border, #d0d7de);
  --_text: var(--is-text, #1f2328); --_muted: var(--is-muted, #59636e); --_accent: var(--is-accent, #0969da);
  --_focus: var(--is-focus-ring, #0969da);
  --_ok: var(--is-ok, #1a7f37); --_warn: var(--is-warn, #9a6700); --_error: var(--is-error, #cf222e); --_off: var(--is-off, #6e7781);
  --_danger-bg: var(--is-danger, #cf222e); --_danger-text: var(--is-danger-text, #ffffff);
  --_primary-bg: var(--is-primary, #1f883d); --_primary-text: var(--is-primary-text, #ffffff);
  --_problem-bg: var(--is-problem-bg, #fff8c5); --_problem-border: var(--is-problem-border, #d4a72c);
  --_error-bg: var(--is-error-bg, #ffebe9); --_error-border: var(--is-error-border, #ff8182);
`

const DARK = `
  --_bg: var(--is-bg, #0d1117); --_surface: var(--is-surface, #161b22); --_border: var(--is-border, #3d444d);
  --_text: var(--is-text, #e6edf3); --_muted: var(--is-muted, #9198a1); --_accent: var(--is-accent, #4493f8);
  --_focus: var(--is-focus-ring, #4493f8);
  --_ok: var(--is-ok, #3fb950); --_warn: var(--is-warn, #d29922); --_error: var(--is-error, #f85149); --_off: var(--is-off, #9198a1);
  --_danger-bg: var(--is-danger, #b62324); --_danger-text: var(--is-danger-text, #ffffff);
  --_primary-bg: var(--is-primary, #1a7f37); --_primary-text: var(--is-primary-text, #ffffff);
  --_problem-bg: var(--is-problem-bg, #272115); --_problem-border: var(--is-problem-border, #9e6a03);
  --_error-bg: var(--is-error-bg, #25171c); --_error-border: var(--is-error-border, #da3633);
`

export const STYLE = `
  :host { ${LIGHT}
    display: block; container-type: inline-size; color: var(--_text);
    font-family: var(--is-font, system-ui, "DejaVu Sans", sans-serif); font-size: var(--is-font-size, 14px); line-height: 1.45;
    --_radius: var(--is-radius, 8px); --_gap: var(--is-gap, 12px);
  }
  :host([theme="dark"]) { ${DARK} color-scheme: dark; }
  @media (prefers-color-scheme: dark) { :host(:not([theme="light"])) { ${DARK} color-scheme: dark; } }
  :host([hidden]) { display: none; }
  * { box-sizing: border-box; }
  p, ul, h3, h2 { margin: 0; }
  ul { padding: 0; list-style: none; }
  .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
  .muted { color: var(--_muted); }

  .icon { display: inline-flex; flex: none; width: 16px; height: 16px; }
  .icon svg { width: 16px; height: 16px; }
  .i-connected { color: var(--_ok); } .i-warning { color: var(--_warn); } .i-error { color: var(--_error); } .i-disconnected, .i-hidden { color: var(--_off); }
  .i-amber { color: var(--_warn); }

  button { font: inherit; font-size: 0.93em; line-height: 1.2; padding: 5px 12px; min-height: 30px; border-radius: calc(var(--_radius) - 2px);
    border: 1px solid var(--_border); background: var(--_bg); color: var(--_text); cursor: pointer; }
  button:hover:not(:disabled) { border-color: var(--_muted); }
  button:disabled { color: var(--_muted); background: var(--_surface); cursor: not-allowed; }
  button.primary { background: var(--_primary-bg); color: var(--_primary-text); border-color: transparent; }
  button.danger { background: var(--_danger-bg); color: var(--_danger-text); border-color: transparent; }
  button.quiet-danger:not(:disabled) { color: var(--_error); }
  button:focus-visible, input:focus-visible, [tabindex]:focus-visible { outline: 2px solid var(--_focus); outline-offset: 2px; }

  .msg { font-size: 0.93em; display: flex; gap: 6px; align-items: flex-start; }
  .msg[data-state="pending"] { color: var(--_accent); }
  .msg[data-state="succeeded"] { color: var(--_ok); }
  .msg[data-state="failed"], .msg[data-state="limited"] { color: var(--_error); }
  .spin { display: inline-block; width: 12px; height: 12px; margin-top: 3px; border-radius: 50%; border: 2px solid currentColor; border-right-color: transparent; animation: spin 0.9s linear infinite; flex: none; }
  @keyframes spin { to { transform: rotate(360deg); } }
  @media (prefers-reduced-motion: reduce) { .spin { animation: none; border-right-color: currentColor; opacity: 0.6; } }

  /* The status bar */
  .bar { display: flex; flex-wrap: wrap; gap: 8px var(--_gap); align-items: center; padding: 8px 12px; border: 1px solid var(--_border);
    border-radius: var(--_radius); background: var(--_surface); }
  .overall { font-weight: 600; display: flex; align-items: center; gap: 6px; }
  .items { display: flex; flex-wrap: wrap; gap: 8px; flex: 1 1 auto; }
  .item { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; padding: 4px 10px; border-radius: calc(var(--_radius) - 2px);
    background: var(--_bg); border: 1px solid var(--_border); min-width: 0; }
  .item .label { font-weight: 600; }
  .item .summary { color: var(--_muted); overflow-wrap: anywhere; }
  .stale { display: inline-flex; align-items: center; gap: 4px; color: var(--_muted); font-size: 0.86em; white-space: nowrap; }
  .stale[data-stale="amber"] { color: var(--_warn); }
  .conn { margin-left: auto; font-size: 0.86em; color: var(--_muted); display: flex; align-items: center; gap: 6px; }
  .conn[data-connection="streaming"] .icon { color: var(--_ok); }
  .conn[data-connection="reconnecting"], .conn[data-connection="polling"] { color: var(--_warn); font-weight: 600; }
  .item .actions { display: inline-flex; gap: 6px; flex-wrap: wrap; }
  .item .msg { flex-basis: 100%; }

  @container (max-width: 560px) {
    .bar { flex-direction: column; align-items: stretch; }
    .items { flex-direction: column; }
    .item { align-items: flex-start; }
    .item .summary { flex-basis: 100%; }
    .conn { margin-left: 0; }
  }

  /* The settings tab */
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 290px), 1fr)); gap: var(--_gap); }
  .card { border: 1px solid var(--_border); border-radius: var(--_radius); background: var(--_bg); padding: 14px 16px; display: flex; flex-direction: column; gap: 10px; min-width: 0; }
  .card-head { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
  .card-head h3 { font-size: 1.07em; margin-right: auto; }
  .badge { display: inline-flex; align-items: center; gap: 5px; font-size: 0.86em; font-weight: 600; padding: 1px 8px; border-radius: 999px; border: 1px solid var(--_border); background: var(--_surface); }
  .summary-line { overflow-wrap: anywhere; }
  .updated { font-size: 0.86em; color: var(--_muted); display: flex; gap: 4px; align-items: center; }
  .updated[data-stale="amber"] { color: var(--_warn); }
  .envs { display: grid; gap: 4px; font-size: 0.93em; }
  .envs li { display: flex; gap: 6px; align-items: flex-start; }
  .problem { border: 1px solid var(--_problem-border); background: var(--_problem-bg); border-radius: calc(var(--_radius) - 2px); padding: 8px 10px; display: grid; gap: 2px; }
  .problem[data-severity="error"] { border-color: var(--_error-border); background: var(--_error-bg); }
  .problem strong { font-weight: 600; }
  .problem .hint { font-size: 0.93em; overflow-wrap: anywhere; }
  .card .actions { display: flex; gap: 8px; flex-wrap: wrap; margin-top: auto; }
  .note { font-size: 0.86em; color: var(--_muted); }

  .form { display: grid; gap: 10px; border-top: 1px solid var(--_border); padding-top: 12px; }
  .form-title { font-weight: 600; }
  .field { display: grid; gap: 4px; }
  .field label { font-weight: 600; font-size: 0.93em; }
  .field input { font: inherit; padding: 6px 8px; border-radius: calc(var(--_radius) - 2px); border: 1px solid var(--_border); background: var(--_bg); color: var(--_text); width: 100%; }
  .field input[aria-invalid="true"] { border-color: var(--_error); }
  .field .error { color: var(--_error); font-size: 0.86em; }
  .form-actions { display: flex; gap: 8px; flex-wrap: wrap; }

  dialog { border: 1px solid var(--_border); border-radius: var(--_radius); background: var(--_bg); color: var(--_text); padding: 20px; max-width: min(460px, calc(100vw - 24px)); }
  dialog::backdrop { background: rgb(0 0 0 / 0.45); }
  dialog h2 { font-size: 1.14em; margin-bottom: 10px; }
  dialog p { margin-bottom: 10px; }
  .dialog-actions { display: flex; gap: 8px; justify-content: flex-end; flex-wrap: wrap; margin-top: 6px; }
`

/** Status icons: a different shape for each status, so colour is never the only signal. */
export const ICONS = {
  connected: '<svg viewBox="0 0 16 16" aria-hidden="true" focusable="false"><circle cx="8" cy="8" r="7.5" fill="currentColor"/><path d="M4.5 8.3l2.3 2.3 4.7-4.9" fill="none" stroke="#fff" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  warning: '<svg viewBox="0 0 16 16" aria-hidden="true" focusable="false"><path d="M8 1l7.5 13.5H.5z" fill="currentColor" stroke="currentColor" stroke-linejoin="round"/><path d="M8 6v4" stroke="#1f2328" stroke-width="1.8" stroke-linecap="round"/><circle cx="8" cy="12.3" r="1" fill="#1f2328"/></svg>',
  error: '<svg viewBox="0 0 16 16" aria-hidden="true" focusable="false"><path d="M5 .5h6L15.5 5v6L11 15.5H5L.5 11V5z" fill="currentColor"/><path d="M5.5 5.5l5 5m0-5l-5 5" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/></svg>',
  disconnected: '<svg viewBox="0 0 16 16" aria-hidden="true" focusable="false"><circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="2"/><path d="M5 8h6" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>',
  hidden: '<svg viewBox="0 0 16 16" aria-hidden="true" focusable="false"><circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="2" stroke-dasharray="3 2"/></svg>',
  clock: '<svg viewBox="0 0 16 16" aria-hidden="true" focusable="false"><circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.6"/><path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/></svg>',
  live: '<svg viewBox="0 0 16 16" aria-hidden="true" focusable="false"><circle cx="8" cy="8" r="4" fill="currentColor"/></svg>',
  offline: '<svg viewBox="0 0 16 16" aria-hidden="true" focusable="false"><path d="M2 2l12 12M3.5 6.2A8 8 0 0 1 6 5M1 4.5a11 11 0 0 1 3-1.8M12.5 6.2A8 8 0 0 0 9 5M15 4.5A11 11 0 0 0 8 2.5M5.5 9a4 4 0 0 1 5 0" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round"/></svg>'
}
