import t from 'tap'
import { startTelemetry } from '../src/telemetry.js'

t.test('tracing follows the standard OTEL_* variables', async (t) => {
  t.equal(startTelemetry({}), undefined, 'no exporter and no endpoint: off, no connection errors')
  t.equal(startTelemetry({ OTEL_TRACES_EXPORTER: 'none' }), undefined)
  t.equal(startTelemetry({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'console' }), undefined, 'disabled wins')
  const otlp = startTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' })
  t.ok(otlp, 'an OTLP endpoint turns OTLP export on')
  await otlp!.shutdown()
  const console = startTelemetry({ OTEL_TRACES_EXPORTER: 'console' })
  t.ok(console, 'the console exporter')
  await console!.shutdown()
})
