import type { ApolloServer, BaseContext } from '@apollo/server';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGraphQLHttpHandler } from '../../src/http/graphqlHandler';

export interface ListeningHttp {
  /** e.g. http://127.0.0.1:43121/ (every path reaches the handler) */
  url: string;
  close(): Promise<void>;
}

/** Generous: these servers take whatever a test sends; the production limit is the composition root's choice. */
const TEST_BODY_LIMIT = 8 * 1024 * 1024;

/** A bare node:http server on 127.0.0.1 at a random port. */
export async function listenOnRandomPort(handler: RequestListener): Promise<ListeningHttp> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * A started ApolloServer behind OUR HTTP layer (`createGraphQLHttpHandler`), mounted at '/' with no router in
 * front, so what a test observes is Apollo plus our integration and nothing else; with `fastLane`, the
 * fast lane is tried first, as in the server. `close` leaves the ApolloServer running (its owner stops it).
 */
export function serveThroughOurHandler<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  context: (req: IncomingMessage) => Promise<TContext>,
  fastLane?: (req: IncomingMessage, res: ServerResponse, body: unknown, context: TContext) => Promise<boolean>,
): Promise<ListeningHttp> {
  const handler = createGraphQLHttpHandler({ server, context, bodyLimit: TEST_BODY_LIMIT, fastLane });
  return listenOnRandomPort((req, res) => {
    handler(req, res).catch((error: unknown) => {
      // Our handler should never throw; if it does, the test sees a 500 with the reason instead of a hang.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`handler threw: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
}
