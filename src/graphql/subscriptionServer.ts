import {
  getOperationAST,
  GraphQLError,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, type ServerOptions } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { RequestContext } from '../context';
import { ErrorCode } from '../errors';
import type { OperationRecorder } from './OperationRecorder';
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
  /** the same per-operation log line and metrics as HTTP */
  recorder: OperationRecorder;
  /** largest message in bytes (the HTTP body limit); a larger one closes the socket with 1009 unread */
  maxPayload: number;
  /** open sockets at most; more upgrades are refused with 503 */
  maxSockets: number;
  /** operations in progress on one socket at most; more are answered with an error */
  maxOperationsPerSocket: number;
  /** graphql's execute and subscribe wrapped (tracing: src/tracing/subscriptionSpans.ts); graphql's own otherwise */
  execution?: Pick<ServerOptions, 'execute' | 'subscribe'>;
}

export interface SubscriptionServer {
  /** closes every socket with 1001 (going away) and stops accepting */
  close(): Promise<void>;
  clientCount(): number;
}

type SocketExtra = {
  context?: RequestContext;
  /** when each operation in progress started, by its id */
  started?: Map<string, bigint>;
};

/**
 * graphql-ws on the HTTP server's `/graphql`. Apollo's formatError does not run here, so the same
 * formatter is applied to every error a subscription sends.
 *
 * Nothing a client sends is worked on before it is bounded and authenticated: the socket cap and a bad
 * Authorization header on the upgrade are answered before graphql-ws sees the socket, every message is
 * limited to `maxPayload` by `ws` (checked from the frame header, before the message is buffered), and
 * `connection_init` must carry a valid token before any operation is read (graphql-ws closes with 4403).
 */
export function startSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  const format = (errors: readonly GraphQLError[]) => errors.map((e) => options.formatError(e.toJSON(), e));
  const record = (
    extra: SocketExtra,
    id: string,
    operationName: string | null | undefined,
    errors: readonly GraphQLError[] | undefined,
  ) => {
    const started = extra.started?.get(id);
    extra.started?.delete(id);
    options.recorder.record({
      operationName,
      seconds: started === undefined ? 0 : Number(process.hrtime.bigint() - started) / 1e9,
      errorCodes: (errors ?? []).map((e) => String(e.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR)),
      context: extra.context,
    });
  };

  options.httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(req.url) !== options.path) return refuseUpgrade(socket, '404 Not Found');
    if (wss.clients.size >= options.maxSockets) {
      options.log.warn({ sockets: wss.clients.size }, 'websocket refused: at the socket cap');
      return refuseUpgrade(socket, '503 Service Unavailable');
    }
    if (req.headers.authorization !== undefined && !authenticates(req.headers.authorization, req)) {
      // graphql-ws's own answer to a bad token, given before a single message is read
      wss.handleUpgrade(req, socket, head, (ws) => ws.close(CloseCode.Forbidden, 'Forbidden'));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      wss.emit('connection', ws, req);
      // graphql-ws prints every socket error to stderr with its stack; `ws` has already closed the socket with
      // the fitting code (1009 for an oversized message), so one log line without the stack is what remains.
      ws.removeAllListeners('error');
      ws.on('error', (error: Error & { code?: string }) =>
        options.log.warn({ code: error.code, reason: error.message }, 'websocket closed on a protocol error'),
      );
    });
  });
  const authenticates = (authorization: string, req: IncomingMessage): boolean => {
    try {
      options.context(authorization, req);
      return true;
    } catch {
      return false;
    }
  };

  const disposable = useServer<Record<string, unknown>, SocketExtra>(
    {
      schema: options.schema,
      ...options.execution,
      onConnect: (ctx) => {
        try {
          ctx.extra.context = options.context(
            authorizationOf(ctx.connectionParams, ctx.extra.request),
            ctx.extra.request,
          );
          ctx.extra.started = new Map();
          return true;
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
      },
      onSubscribe: (ctx, id, payload) => {
        ctx.extra.started?.set(id, process.hrtime.bigint());
        // graphql-ws has already reserved this operation's id, so it counts itself.
        if (Object.keys(ctx.subscriptions).length > options.maxOperationsPerSocket) {
          const tooMany = new GraphQLError(
            `Too many operations on this connection: at most ${options.maxOperationsPerSocket} at once; complete one or open another connection`,
            { extensions: { code: ErrorCode.BAD_USER_INPUT } },
          );
          record(ctx.extra, id, payload.operationName, [tooMany]);
          return [tooMany];
        }
        const prepared = options.documents.get(payload.query);
        if (prepared.errors) {
          record(ctx.extra, id, payload.operationName, prepared.errors);
          return prepared.errors;
        }
        return {
          schema: options.schema,
          document: prepared.document,
          variableValues: payload.variables,
          operationName: payload.operationName,
          contextValue: {
            ...(ctx.extra.context as RequestContext),
            warnings: [],
            upstreamRequestIds: [],
            cacheHints: [],
          },
        };
      },
      onOperation: (ctx, id, _payload, args, result) => {
        const name = getOperationAST(args.document, args.operationName)?.name?.value ?? null;
        // A subscription is recorded once, when it starts (or fails to); its events are not operations.
        const errors = isExecutionResult(result) ? result.errors : undefined;
        record({ ...ctx.extra, context: args.contextValue as RequestContext }, id, name, errors);
        return undefined;
      },
      onError: (ctx, id, _payload, errors) => {
        ctx.extra.started?.delete(id); // failed before it ran (e.g. no such operation in the document)
        return format(errors);
      },
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

function pathOf(url: string | undefined): string | undefined {
  const q = url?.indexOf('?') ?? -1;
  return q === -1 ? url : url?.slice(0, q);
}

/** An HTTP answer on the raw socket, as `ws` itself refuses a handshake. */
function refuseUpgrade(socket: Duplex, status: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function isExecutionResult(result: unknown): result is ExecutionResult {
  return typeof result === 'object' && result !== null && !(Symbol.asyncIterator in result);
}
