import t from 'tap'
import { SseParser, type SseMessage } from '../../clients/typescript/src/sse-parser.js'

/** Feeds the chunks in order and returns what the parser dispatched. */
function parse (chunks: string[], lastEventId = '') {
  const messages: SseMessage[] = []
  const retries: number[] = []
  const parser = new SseParser({ message: (m) => messages.push(m), retry: (ms) => retries.push(ms) }, lastEventId)
  for (const chunk of chunks) parser.feed(chunk)
  return { messages, retries, parser }
}

t.test('events, ids and data as the service frames them', async (t) => {
  const { messages, retries } = parse(['retry: 3000\nid: 7\nevent: ready\ndata: {"position":7}\n\n:hb\n\nid: 8\nevent: action\ndata: {"n":1}\n\n'])
  t.same(retries, [3000])
  t.same(messages, [
    { event: 'ready', data: '{"position":7}', lastEventId: '7' },
    { event: 'action', data: '{"n":1}', lastEventId: '8' }
  ], 'comments are skipped')
})

t.test('any chunking gives the same messages, CRLF split between chunks included', async (t) => {
  const text = 'id: 1\r\nevent: status\r\ndata: {"a":\r\ndata: 1}\r\n\r\nid: 2\rdata: x\r\rdata: y\n\n'
  const whole = parse([text]).messages
  t.same(whole, [
    { event: 'status', data: '{"a":\n1}', lastEventId: '1' },
    { event: 'message', data: 'x', lastEventId: '2' },
    { event: 'message', data: 'y', lastEventId: '2' }
  ], 'multi-line data joined with LF; CR alone ends a line; no event: means "message"')
  for (let size = 1; size <= 7; size++) {
    const chunks = text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g'))!
    t.same(parse(chunks).messages, whole, `chunks of ${size}`)
  }
})

t.test('the id rules: kept across events, set by a message without data, ignored with U+0000', async (t) => {
  const { messages, parser } = parse(['id: 5\n\n', 'data: a\n\n', 'id: 6\u00007\ndata: b\n\n', 'id\ndata: c\n\n'], '4')
  t.same(messages.map((m) => m.lastEventId), ['5', '5', ''], 'an empty id field resets it')
  t.equal(parser.lastEventId, '')
  t.equal(parse([], '4').parser.lastEventId, '4', 'starts from the resume id')
  t.equal(parse(['id: 9\n\n']).parser.lastEventId, '9', 'a message with only an id moves the position')
})

t.test('retry only when all digits; unknown fields and a field without colon are harmless', async (t) => {
  const { messages, retries } = parse(['retry: 1.5\nretry: -1\nretry: 250\nfoo: bar\ndata\n\n'])
  t.same(retries, [250])
  t.same(messages, [{ event: 'message', data: '', lastEventId: '' }], '"data" alone is an empty data line')
})

t.test('an unfinished message is held until its blank line, and dropped by reset()', async (t) => {
  const { messages, parser } = parse(['event: action\ndata: {"half":'])
  t.same(messages, [])
  parser.reset()
  parser.feed('data: 1\n\n')
  t.same(messages, [{ event: 'message', data: '1', lastEventId: '' }])
})
