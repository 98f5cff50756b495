import { ApolloServer, type BaseContext } from '@apollo/server';
import { defineIntegrationTestSuite } from '@apollo/server-integration-testsuite';
import { serveThroughOurHandler } from '../support/apolloOverHttp';

/**
 * Apollo's own conformance suite for HTTP integrations (the one @apollo/server's Express and Lambda
 * integrations pass), run against src/http/graphqlHandler.ts. Each suite test builds its own ApolloServer;
 * we only supply the HTTP layer.
 */
defineIntegrationTestSuite(async (config, options) => {
  const server = new ApolloServer<BaseContext>(config);
  await server.start();
  const http = await serveThroughOurHandler(server, options?.context ?? (async () => ({})));
  return { server, url: http.url, extraCleanup: http.close };
});
