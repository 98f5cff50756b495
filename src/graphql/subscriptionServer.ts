import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { RequestContext } from '../context';
import type { PreparedDocuments } from './PreparedDocuments';

export interface SubscriptionServerOptions {
  httpServer: HttpServer;
  schema: GraphQLSchema;
  path: string;
  log: Logger;
  /** builds the context from the Authorization value (connection params first, then the upgrade request); throws UNAUTHENTICATED */
  context: (authorization: string | undefined, req: IncomingMessage) => RequestContext;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** the same parse/validation cache (and rules) as HTTP, so subscriptions share one syntax tree per operation */
  documents: PreparedDocuments;
}

export interface SubscriptionServer {
  /** closes every socket with 1001 (going away) and stops accepting */
  close(): Promise<void>;
  clientCount(): number;
}

/**
 * graphql-ws on the HTTP server's `/graphql`. Apollo's formatError does not run here, so the same
 * formatter is applied to every error a subscription sends.
 */
export function startSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const wss = new WebSocketServer({ server: options.httpServer, path: options.path });
  const format = (errors: readonly GraphQLError[]) => errors.map((e) => options.formatError(e.toJSON(), e));
  const disposable = useServer<Record<string, unknown>, { context?: RequestContext }>(
    {
      schema: options.schema,
      onConnect: (ctx) => {
        try {
          ctx.extra.context = options.context(authorizationOf(ctx.connectionParams, ctx.extra.request), ctx.extra.request);
          return true;
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
      },
      onSubscribe: (ctx, _id, payload) => {
        const prepared = options.documents.get(payload.query);
        if (prepared.errors) return prepared.errors;
        return {
          schema: options.schema,
          document: prepared.document,
          variableValues: payload.variables,
          operationName: payload.operationName,
          contextValue: { ...(ctx.extra.context as RequestContext), warnings: [], upstreamRequestIds: [], cacheHints: [] },
        };
      },
      onError: (_ctx, _id, _payload, errors) => format(errors),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: format(result.errors) } : undefined,
    },
    wss,
  );
  return {
    async close() {
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      await disposable.dispose();
    },
    clientCount: () => wss.clients.size,
  };
}

function authorizationOf(params: Record<string, unknown> | undefined, req: IncomingMessage): string | undefined {
  const fromParams = params?.authorization ?? params?.Authorization;
  if (typeof fromParams === 'string') return fromParams;
  return req.headers.authorization;
}
