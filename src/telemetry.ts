import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources'

/**
 * Turns tracing on from the standard OTEL_* variables; the app only ever talks to
 * @opentelemetry/api, so without this its spans are no-ops.
 *
 * - OTEL_TRACES_EXPORTER: `otlp` (OTLP over HTTP; endpoint, headers and protocol from the
 *   OTEL_EXPORTER_OTLP_* variables), `console`, or `none`. Unset means `otlp` when an
 *   OTLP endpoint is configured, else `none`, so a laptop without a collector logs no errors.
 * - OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the service (default integration-status).
 * - OTEL_SDK_DISABLED=true turns it all off; OTEL_BSP_* tune the batch processor.
 */
export function startTelemetry (env: NodeJS.ProcessEnv = process.env) {
  if (env.OTEL_SDK_DISABLED === 'true') return undefined
  const hasEndpoint = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  const choice = (env.OTEL_TRACES_EXPORTER ?? (hasEndpoint ? 'otlp' : 'none')).trim()
  let exporter: SpanExporter
  if (choice === 'otlp') exporter = new OTLPTraceExporter()
  else if (choice === 'console') exporter = new ConsoleSpanExporter()
  else return undefined

  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? 'integration-status' }))
    // OTEL_RESOURCE_ATTRIBUTES (envDetector reads process.env, as the server does).
    .merge(detectResources({ detectors: [envDetector] }))
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] })
  provider.register()
  return provider
}
