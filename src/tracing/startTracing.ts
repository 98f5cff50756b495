import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config';
import type { Logger } from '../logger';
import { TRACER_NAME, type Tracing } from './Tracing';

/**
 * Starts the OpenTelemetry SDK when tracing is configured; null otherwise, and then nothing is installed: the
 * API stays a no-op and no SDK module is even loaded (start-up time and memory stay as they were).
 *
 * The SDK reads the standard variables itself: OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT and
 * _COMPRESSION (the exporter), OTEL_TRACES_SAMPLER(_ARG) (the provider), OTEL_BSP_* (the batch processor),
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env resource detector). Only the encoding is chosen here,
 * since JSON and protobuf are two exporter packages. Registration installs AsyncLocalStorage context and the
 * W3C traceparent/tracestate and baggage propagators.
 */
export async function startTracing(config: TracingConfig, log: Logger): Promise<Tracing | null> {
  if (!config.enabled) return null;
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, resources] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  // Export failures would otherwise be silent: the API's diagnostics go nowhere until given a logger.
  diag.setLogger(
    {
      error: (message) => log.warn({ otel: message }, 'tracing: OpenTelemetry SDK error'),
      warn: (message) => log.warn({ otel: message }, 'tracing: OpenTelemetry SDK warning'),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.WARN,
  );
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': 'lipsync-graph' }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(await exporterFor(config.protocol))],
  });
  provider.register();
  log.info({ protocol: config.protocol }, 'tracing: exporting spans over OTLP/HTTP');
  return {
    tracer: provider.getTracer(TRACER_NAME),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
    },
  };
}

async function exporterFor(protocol: TracingConfig['protocol']): Promise<SpanExporter> {
  if (protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter();
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter();
}
