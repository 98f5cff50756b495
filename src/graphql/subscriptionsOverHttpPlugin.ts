import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';

/**
 * Subscriptions run over WebSocket (graphql-ws) only. Sent as an HTTP request, Apollo would execute one as if it
 * were a query and its resolver would fail: a masked INTERNAL_SERVER_ERROR for what is the caller's mistake.
 * Refused instead, before execution, with 400 and where to go (GraphQL over HTTP serves queries and mutations).
 * The fast lane leaves every subscription to Apollo (src/graphql/FastLane.ts), so both paths answer this.
 */
/** `path`: where graphql-ws listens (the GraphQL path, on the same port). */
export function subscriptionsOverHttpPlugin<TContext extends BaseContext>(path: string): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation?.operation !== 'subscription') return;
          const host = request.http?.headers.get('host') ?? 'this-server';
          throw new GraphQLError(
            `Subscriptions are not served over HTTP: connect with the graphql-ws protocol to ws://${host}${path} (wss:// behind TLS)`,
            { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } },
          );
        },
      };
    },
  };
}
