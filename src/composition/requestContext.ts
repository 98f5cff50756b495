import type { IncomingMessage } from 'node:http';
import type { RequestContext, Services } from '../context';
import { Authenticator } from '../http/auth';
import type { Foundation } from './Foundation';

/** Builds each operation's context, HTTP or WebSocket: the caller's tenant (from its token) and the services. */
export interface RequestContexts {
  http(req: IncomingMessage): RequestContext;
  /** a WebSocket is authenticated once, when it opens; it has no Idempotency-Key */
  ws(authorization: string | undefined | null): RequestContext;
}

export function requestContexts({ config, log, metrics }: Foundation, services: Services): RequestContexts {
  const authenticator = new Authenticator({ tokens: config.authTokens, log, metrics });
  const contextFor = (tenant: string, idempotencyKey: string | null): RequestContext => ({
    tenant,
    services,
    idempotencyKey,
    warnings: [],
    upstreamRequestIds: [],
    cacheHints: [],
  });
  return {
    http: (req) =>
      contextFor(authenticator.tenantOf(req.headers.authorization, 'http'), headerValue(req, 'idempotency-key')),
    ws: (authorization) => contextFor(authenticator.tenantOf(authorization, 'ws'), null),
  };
}

function headerValue(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first && first.trim() !== '' ? first.trim() : null;
}
