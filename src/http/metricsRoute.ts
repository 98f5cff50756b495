import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics';
import { bearerToken, sameToken, tokenDigest } from './auth';
import { sendJson } from './json';

export interface MetricsRouteOptions {
  metrics: Metrics;
  /** METRICS_TOKEN: when set, a scrape must send `Authorization: Bearer <it>` */
  token: string | null;
}

/** GET /metrics: the registry as it stands (nothing is counted here, so a scrape costs the same at any size). */
export function createMetricsRoute({ metrics, token }: MetricsRouteOptions) {
  const expected = token === null ? null : tokenDigest(token);
  return async function metricsRoute(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (expected) {
      const presented = bearerToken(req.headers.authorization);
      if (presented === null || !sameToken(tokenDigest(presented), expected)) {
        res.setHeader('www-authenticate', 'Bearer realm="metrics"');
        return sendJson(res, 401, { error: 'a valid METRICS_TOKEN is required: send Authorization: Bearer <token>' });
      }
    }
    res.setHeader('content-type', metrics.registry.contentType);
    res.end(await metrics.registry.metrics());
  };
}
