import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { CALLBACK_PATH_PREFIX } from './callbacks';
import { applyCors } from './cors';
import { isDemoPath } from './demoRoute';
import { sendJson } from './json';
import { MEDIA_PATH_PREFIX } from './mediaRoute';

export interface RouterOptions {
  graphqlPath: string;
  graphql: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  corsOrigins: '*' | readonly string[];
  /** GET /metrics (src/http/metricsRoute.ts) */
  metrics: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** POST /callbacks/kling/… (src/http/callbacks.ts) */
  callback: (req: IncomingMessage, res: ServerResponse, path: string) => void;
  log: Logger;
  /** GET /demo… (src/http/demoRoute.ts); absent when the demo is off */
  demo?: (req: IncomingMessage, res: ServerResponse, path: string) => void;
  /** GET /media/… signed archive URLs (src/http/mediaRoute.ts); absent unless ARCHIVE=fs */
  media?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;
  /** named dependencies that must answer for /readyz (the store is always one) */
  readinessChecks: Record<string, () => Promise<void>>;
}

/** Every HTTP route; GraphQL first, since it is nearly all of the traffic. */
export function createRouter(options: RouterOptions) {
  const { graphqlPath, graphql, corsOrigins, log } = options;
  const dispatch = async (req: IncomingMessage, res: ServerResponse, path: string | undefined): Promise<void> => {
    if (path === graphqlPath) {
      if (!applyCors(req, res, corsOrigins)) await graphql(req, res);
      return;
    }
    switch (path) {
      case '/healthz':
        return sendJson(res, 200, { status: 'ok' });
      case '/readyz':
        return readiness(res, options.readinessChecks);
      case '/metrics':
        return options.metrics(req, res);
    }
    if (path?.startsWith(CALLBACK_PATH_PREFIX)) return options.callback(req, res, path);
    if (options.demo && isDemoPath(path)) return options.demo(req, res, path);
    if (options.media && path?.startsWith(MEDIA_PATH_PREFIX)) return options.media(req, res, path);
    sendJson(res, 404, { error: 'not found' });
  };
  return function route(req: IncomingMessage, res: ServerResponse): void {
    const q = req.url?.indexOf('?') ?? -1;
    const path = q === -1 ? req.url : req.url?.slice(0, q);
    dispatch(req, res, path).catch((error: unknown) => {
      log.error({ err: error, path }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal server error' });
      else res.destroy();
    });
  };
}

async function readiness(res: ServerResponse, checks: RouterOptions['readinessChecks']): Promise<void> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await check();
        return null;
      } catch {
        return name;
      }
    }),
  );
  const down = results.filter((name): name is string => name !== null);
  sendJson(
    res,
    down.length === 0 ? 200 : 503,
    down.length === 0 ? { status: 'ready' } : { status: 'unavailable', down },
  );
}
