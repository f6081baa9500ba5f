import { readFileSync } from 'node:fs'

/**
 * React 19 in a browser page without a bundler: React ships CommonJS only, so the few files a
 * page needs (react, react-dom, react-dom/client, scheduler; production builds from
 * node_modules) are wrapped in a tiny module registry and exposed as window.React and
 * window.ReactDOMClient. React 19 sits under the aliases react-19 / react-dom-19 next to the
 * React 18 that tap's reporter uses.
 */
// By path: the packages' "exports" do not list their cjs files.
const file = (path: string) => readFileSync(new URL(`../../node_modules/${path}`, import.meta.url), 'utf8')

export function reactBundle () {
  const modules: Record<string, string> = {
    react: file('react-19/cjs/react.production.js'),
    'react-dom': file('react-dom-19/cjs/react-dom.production.js'),
    'react-dom/client': file('react-dom-19/cjs/react-dom-client.production.js'),
    scheduler: file('react-dom-19/node_modules/scheduler/cjs/scheduler.production.js')
  }
  const factories = Object.entries(modules).map(([name, source]) =>
    `${JSON.stringify(name)}: function (module, exports, require) {\n${source}\n}`).join(',\n')
  return `(() => {
  const process = { env: { NODE_ENV: 'production' } }
  const factories = {\n${factories}\n}
  const cache = {}
  function require (name) {
    if (cache[name]) return cache[name].exports
    const module = cache[name] = { exports: {} }
    factories[name](module, module.exports, require)
    return module.exports
  }
  window.React = require('react')
  window.ReactDOMClient = require('react-dom/client')
})()`
}

/**
 * A React app embedding both components: props become properties and attributes, and React 19's
 * `on<event-name>` props listen to the components' DOM events.
 */
export const REACT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>React page</title>
<script src="/react-test/react.js"></script>
<script type="module" src="/ui/components.js"></script>
</head><body><main id="root"></main>
<script type="module">
  const { createElement: h, useState } = window.React
  function App ({ projectId }) {
    const [overall, setOverall] = useState('none')
    const [actions, setActions] = useState([])
    return h('div', null,
      h('p', { id: 'overall' }, 'overall: ' + overall),
      h('integration-status-bar', {
        projectId,
        theme: 'dark',
        'onintegration-status-change': (event) => setOverall(event.detail.envelope ? event.detail.envelope.overall : 'none'),
        'onintegration-action': (event) => setActions((list) => [...list, event.detail.action + ':' + event.detail.status])
      }),
      h('integration-settings', { 'project-id': projectId, lang: 'de' }),
      h('p', { id: 'actions' }, actions.join(' ')))
  }
  window.ReactDOMClient.createRoot(document.getElementById('root')).render(h(App, { projectId: new URLSearchParams(location.search).get('projectId') }))
</script></body></html>`
