import t from 'tap'
import { build, eachBackend } from '../helper.js'
import { storable, storableJson } from '../../src/lib/storable.js'
import { fakeAction } from '../support/events.js'

// What providers send is kept, with what PostgreSQL cannot store (U+0000, lone surrogates) made
// storable; what callers send is refused at validation instead (test/fuzz/nul-bytes.test.ts).

t.test('storableJson: plain JSON when there is nothing to replace, U+FFFD in strings and keys otherwise', async (t) => {
  const clean = { a: 'text 😀 é', n: [1, null, true], nested: { '\\u0000 as text': 'a\\u0000b' } }
  t.equal(storableJson(clean), JSON.stringify(clean), 'byte-identical to JSON.stringify, escaped backslashes included')
  t.same(JSON.parse(storableJson({ s: 'a\u0000b', lone: '\ud800x', pair: '😀', list: ['\u0000'], 'k\u0000': { '\udc00': 1 } })),
    { s: 'a\ufffdb', lone: '\ufffdx', pair: '😀', list: ['\ufffd'], 'k\ufffd': { '\ufffd': 1 } })
  t.equal(storable('\u0000\ud800\udc00\udfff'), '\ufffd\ud800\udc00\ufffd', 'a surrogate pair is kept, lone halves are not')
})

eachBackend(t, 'the event log keeps a payload holding U+0000 and lone surrogates', async (t, backend) => {
  const s = await build(t, { backend })
  const projectId = 'p_storable'
  const action = fakeAction(projectId, 1)
  action.result = { url: 'https://x.test/\u0000', note: 'half \ud800 a pair', 'k\u0000': 'v' }
  const event = await s.app.db.transaction().execute((trx) => s.app.events.log.appendAction(trx, action))
  t.ok(event.seq >= 1, 'written, not refused by the database')
  const [read] = await s.app.events.log.after(projectId, 0, 10)
  t.match(read?.payload, { id: action.id, result: { url: 'https://x.test/\ufffd', note: 'half \ufffd a pair', 'k\ufffd': 'v' } }, 'read back with U+FFFD in their place')
})
