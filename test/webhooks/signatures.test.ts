import t from 'tap'
import { createHmac } from 'node:crypto'
import { verifyGithub } from '../../adapters/github/webhook.js'
import { verifySanity } from '../../adapters/sanity/webhook.js'
import { verifyVercel } from '../../adapters/vercel/webhook.js'

t.test('GitHub: the documented test vector', async (t) => {
  // From GitHub's "Validating webhook deliveries".
  const secret = "It's a Secret to Everybody"
  const body = Buffer.from('Hello, World!')
  t.ok(verifyGithub(secret, body, 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'))
  t.notOk(verifyGithub(secret, body, 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18'), 'one digit off')
  t.notOk(verifyGithub(secret, Buffer.from('Hello, World?'), 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'), 'another body')
  t.notOk(verifyGithub(secret, body, undefined), 'missing')
  t.notOk(verifyGithub(secret, body, 'sha1=abc'), 'the legacy sha1 header is not accepted')
  t.notOk(verifyGithub('other', body, 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'), 'another secret')
})

t.test('Vercel: hex HMAC-SHA1 of the raw body', async (t) => {
  const body = Buffer.from('{"id":"evt_1","type":"deployment.succeeded"}')
  const signature = createHmac('sha1', 'vsecret').update(body).digest('hex')
  t.ok(verifyVercel('vsecret', body, signature))
  t.notOk(verifyVercel('vsecret', Buffer.from('{"id":"evt_1","type":"deployment.error"}'), signature))
  t.notOk(verifyVercel('vsecret', body, signature.toUpperCase()), 'exact hex only')
  t.notOk(verifyVercel('vsecret', body, undefined))
})

t.test('Sanity: t=<ms>,v1=<base64url HMAC-SHA256 of "t.body">', async (t) => {
  const body = Buffer.from('{"_id":"doc1"}')
  const at = String(Date.UTC(2026, 10, 26))
  const sign = (stamp: string, payload: Buffer) => createHmac('sha256', 'ssecret').update(`${stamp}.`).update(payload).digest('base64url')
  t.ok(verifySanity('ssecret', body, `t=${at},v1=${sign(at, body)}`))
  t.ok(verifySanity('ssecret', body, `t=${at}, v1=${sign(at, body)}`), 'a space after the comma, as the regex allows')
  t.notOk(verifySanity('ssecret', body, `t=${Number(at) + 1},v1=${sign(at, body)}`), 'the timestamp is signed')
  const old = String(Date.UTC(2020, 0, 1))
  t.notOk(verifySanity('ssecret', body, `t=${old},v1=${sign(old, body)}`), 'before 2021 is refused')
  t.notOk(verifySanity('ssecret', body, 'v1=abc'), 'malformed')
})
