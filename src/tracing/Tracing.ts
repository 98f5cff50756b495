import type { Tracer } from '@opentelemetry/api';

/** A started OpenTelemetry SDK: the tracer every span of ours comes from, and its flush-and-stop. */
export interface Tracing {
  tracer: Tracer;
  /** exports what is still queued, then unregisters the SDK (a later server in this process may register again) */
  shutdown(): Promise<void>;
}

/** instrumentation scope of every span this server makes */
export const TRACER_NAME = 'lipsync-graph';
