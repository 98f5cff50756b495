import type { Variables } from './variables';

/**
 * OpenTelemetry: only whether to trace and which OTLP/HTTP encoding; the SDK reads the rest of the standard
 * OTEL_* variables itself (endpoint, headers, sampler, batching, service name), as every OTel SDK does.
 */
export interface TracingConfig {
  /** an OTLP endpoint is set (or OTEL_TRACES_EXPORTER=otlp), and neither OTEL_SDK_DISABLED nor OTEL_TRACES_EXPORTER=none */
  enabled: boolean;
  protocol: OtlpProtocol;
}

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export function tracingConfig(v: Variables): TracingConfig {
  const endpoint = v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? v.OTEL_EXPORTER_OTLP_ENDPOINT;
  const wanted = v.OTEL_TRACES_EXPORTER === 'otlp' || (endpoint !== undefined && v.OTEL_TRACES_EXPORTER !== 'none');
  return Object.freeze({
    enabled: wanted && v.OTEL_SDK_DISABLED !== 'true',
    // the OTLP specification's default encoding
    protocol: v.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? v.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
  });
}
