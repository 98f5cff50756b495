import type { Coordination } from '../coordination';
import { DEMO_MEDIA_PATH } from '../http/demoRoute';
import { UpstreamSpans } from '../tracing/upstreamSpans';
import { createKlingApi } from '../upstream';
import type { KlingApi } from '../upstream/KlingApi';
import type { Foundation } from './Foundation';
import type { ServerOrigin } from './ServerOrigin';

export interface Upstream {
  kling: KlingApi;
  /** with the demo on: where the simulated upstream's videos are (this server's /demo sample) */
  simulatedMediaBaseUrl: (() => string) | undefined;
}

/** The Kling client (or the simulated upstream), sharing the coordination's rate limiter; says which one it is. */
export function buildUpstream(
  { config, log, metrics, tracing }: Foundation,
  deps: { coordination: Coordination; origin: ServerOrigin },
): Upstream {
  // With the demo on, the simulated upstream's videos are the sample /demo serves, on this server's origin (known once listening).
  const simulatedMediaBaseUrl = config.demo ? () => `${deps.origin.get()}${DEMO_MEDIA_PATH}` : undefined;
  const kling = createKlingApi(config.upstream, {
    metrics,
    log,
    limiter: deps.coordination.limiter,
    observer: tracing ? new UpstreamSpans(tracing.tracer) : undefined,
    simulatedMediaBaseUrl,
  });
  if (kling.kind === 'simulated') {
    log.warn('upstream: SIMULATED (set KLING_BASE_URL and credentials for the real API)');
  } else {
    log.info({ baseUrl: config.upstream.baseUrl, auth: config.upstream.auth?.kind }, 'upstream: Kling API');
  }
  if (config.outboundUrls.allowPrivate) {
    log.warn('ALLOW_PRIVATE_URLS=true: clients may give URLs on loopback, private and link-local hosts');
  }
  return { kling, simulatedMediaBaseUrl };
}
