import { createHash } from 'node:crypto';
import type { GraphQLResponse } from '../support/graphqlClient';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

/**
 * The fast lane (src/graphql/FastLane.ts) must answer exactly as Apollo's pipeline would, for every client
 * as that client really sends its requests. Each request is sent twice: as the client sends it, which the lane
 * answers, and with `apollo-federation-include-trace` added, which the lane always leaves to Apollo (the server
 * runs with FEDERATION_TRACES=false, so Apollo ignores the header and answers as it would without it).
 *
 * Which path answered is asserted, not assumed: outside production the lane marks its answers
 * (`x-lipsync-path: fast`); in production, where that mark is absent, the `graphql_fast_lane_answers_total`
 * counter on /metrics must move by exactly one for the client's request and by none for Apollo's. A counter is
 * the observable chosen because it is how an operator checks the same thing on a running deployment.
 */

/** Headers and body shape of each client, read from its source (versions in package-lock.json where installed). */
interface ClientShape {
  headers: Record<string, string>;
  body: (query: string, variables: Record<string, unknown>, operationName: string | null) => Record<string, unknown>;
}

const CLIENTS: Record<string, ClientShape> = {
  // @apollo/client 3.x link/http/selectHttpOptionsAndBody.js: fallbackHttpConfig
  'Apollo Client 3': {
    headers: { accept: '*/*', 'content-type': 'application/json' },
    body: (query, variables, operationName) => ({ operationName, variables, query }),
  },
  // @apollo/client 4.3.7 link/http/selectHttpOptionsAndBody.js and link/client-awareness/ClientAwarenessLink.js
  'Apollo Client 4': {
    headers: { accept: 'application/graphql-response+json,application/json;q=0.9', 'content-type': 'application/json' },
    body: (query, variables, operationName) => ({
      operationName,
      variables,
      extensions: { clientLibrary: { name: '@apollo/client', version: '4.3.7' } },
      query,
    }),
  },
  // Apollo Client 4 with its persisted-query link, after a PERSISTED_QUERY_NOT_FOUND: the text and its hash
  'Apollo Client 4 (persisted query registration)': {
    headers: { accept: 'application/graphql-response+json,application/json;q=0.9', 'content-type': 'application/json' },
    body: (query, variables, operationName) => ({
      operationName,
      variables,
      extensions: {
        clientLibrary: { name: '@apollo/client', version: '4.3.7' },
        persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') },
      },
      query,
    }),
  },
  // @urql/core 6.0.3 dist/urql-core-chunk.js: makeFetchOptions
  urql: {
    headers: {
      accept:
        'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed',
      'content-type': 'application/json',
    },
    body: (query, variables, operationName) => ({ operationName, query, variables }),
  },
  // graphql-request 7 (src/legacy/helpers/runRequest.ts): the spec's two JSON types
  'graphql-request': {
    headers: { accept: 'application/graphql-response+json, application/json', 'content-type': 'application/json' },
    body: (query, variables, operationName) => ({ query, variables, ...(operationName ? { operationName } : {}) }),
  },
  // Apollo Router subgraph fetch (apollo-router services/subgraph_service.rs): JSON both ways
  'Apollo Router': {
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: (query, variables, operationName) => ({ query, operationName, variables }),
  },
  // @apollo/gateway RemoteGraphQLDataSource: content-type only; its fetcher sends the default accept
  'Apollo Gateway': {
    headers: { accept: '*/*', 'content-type': 'application/json' },
    body: (query, variables) => ({ query, variables }),
  },
};

const TOKEN = 'parity-client-token';
const TASK_QUERY = 'query T($id: ID!) { lipSyncTask(id: $id) { id status videos { url } } }';
const USAGE_QUERY =
  'query U($from: DateTime, $to: DateTime, $groupBy: UsageGroupBy) { usage(from: $from, to: $to, groupBy: $groupBy) { from to tasks unitsCharged days { date tasks } } }';

interface Case {
  query: string;
  variables: (ids: { finished: string }) => Record<string, unknown>;
  operationName: string | null;
  /** injects an upstream fault before each of the two requests */
  upstreamFault?: boolean;
  /** the request carries no valid client token */
  unauthenticated?: boolean;
  /** the lane must answer it (false: Apollo answers both, e.g. refusals before the body is read) */
  lane: boolean;
}

const CASES: Record<string, Case> = {
  'a query': {
    query: 'query V { voices(language: EN) { id language } }',
    variables: () => ({}),
    operationName: 'V',
    lane: true,
  },
  'a finished task (cacheable)': {
    query: TASK_QUERY,
    variables: ({ finished }) => ({ id: finished }),
    operationName: 'T',
    lane: true,
  },
  'an unknown task': { query: TASK_QUERY, variables: () => ({ id: '1' }), operationName: 'T', lane: true },
  'two root fields': {
    query: 'query T2($id: ID!) { lipSyncTask(id: $id) { id } voices { id } }',
    variables: ({ finished }) => ({ id: finished }),
    operationName: 'T2',
    lane: true,
  },
  'a mutation': {
    query: CREATE_MUTATION,
    variables: () => ({ input: TEXT_INPUT }),
    operationName: 'Create',
    lane: true,
  },
  'a mutation with a warning': {
    query: CREATE_MUTATION,
    variables: () => ({ input: { ...TEXT_INPUT, voiceId: 'brand_new_voice' } }),
    operationName: 'Create',
    lane: true,
  },
  'invalid input': {
    query: CREATE_MUTATION,
    variables: () => ({ input: { ...TEXT_INPUT, videoId: 'x', voiceSpeed: 5 } }),
    operationName: 'Create',
    lane: true,
  },
  'a variable of the wrong type': {
    query: CREATE_MUTATION,
    variables: () => ({ input: { ...TEXT_INPUT, voiceSpeed: 'fast' } }),
    operationName: 'Create',
    lane: true,
  },
  'a page size over the limit': {
    query: 'query P { lipSyncTasks(first: 500) { edges { cursor } } }',
    variables: () => ({}),
    operationName: 'P',
    lane: true,
  },
  'an upstream error': {
    query: CREATE_MUTATION,
    variables: () => ({ input: TEXT_INPUT }),
    operationName: 'Create',
    upstreamFault: true,
    lane: true,
  },
  // usage: DateTime variables (a custom scalar) coerced, or refused, the same way on both paths
  'usage with DateTime variables, by day': {
    query: USAGE_QUERY,
    variables: () => ({ from: '2026-01-01T00:00:00Z', to: '2026-01-31T12:00:00.000Z', groupBy: 'DAY' }),
    operationName: 'U',
    lane: true,
  },
  'usage with a DateTime variable that is no date': {
    query: USAGE_QUERY,
    variables: () => ({ from: 'yesterday' }),
    operationName: 'U',
    lane: true,
  },
  'usage with a reversed range': {
    query: USAGE_QUERY,
    variables: () => ({ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }),
    operationName: 'U',
    lane: true,
  },
  // Apollo answers these: the lane needs a valid document and an authenticated caller
  'a validation error': {
    query: 'query B { voices { nope } }',
    variables: () => ({}),
    operationName: 'B',
    lane: false,
  },
  'an auth error': {
    query: TASK_QUERY,
    variables: () => ({ id: '1' }),
    operationName: 'T',
    unauthenticated: true,
    lane: false,
  },
};

describe.each([
  ['production', true],
  ['development', false],
])('fast lane parity with Apollo (%s)', (_mode, production) => {
  let t: TestServer;
  let finished: string;

  const send = async (client: ClientShape, c: Case, viaApollo: boolean): Promise<GraphQLResponse> => {
    if (c.upstreamFault) t.fake.inject({ code: 1301 }, { endpoint: 'create' });
    const response = await fetch(t.server.url, {
      method: 'POST',
      headers: {
        ...client.headers,
        authorization: `Bearer ${c.unauthenticated ? 'wrong-token' : TOKEN}`,
        ...(viaApollo ? { 'apollo-federation-include-trace': 'ftv1' } : {}),
      },
      body: JSON.stringify(client.body(c.query, c.variables({ finished }), c.operationName)),
    });
    return { status: response.status, headers: response.headers, body: JSON.parse(await response.text()) };
  };

  const laneAnswers = async (): Promise<number> => {
    const text = await (await fetch(`${t.server.origin}/metrics`)).text();
    return Number(/^graphql_fast_lane_answers_total (\d+)/m.exec(text)?.[1] ?? NaN);
  };

  beforeAll(async () => {
    t = await startTestServer({
      env: {
        NODE_ENV: production ? 'production' : 'development',
        AUTH_TOKENS: `parity=${TOKEN}`,
        FEDERATION_TRACES: 'false',
      },
      fake: { processingAfterMs: 10, succeedAfterMs: 20 },
    });
    const client = t.client.withHeaders({ authorization: `Bearer ${TOKEN}` });
    const created = await client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    finished = created.body.data!.createLipSync.id;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const read = await client.request('query($id: ID!) { lipSyncTask(id: $id) { status } }', { id: finished });
      if (read.body.data?.lipSyncTask?.status === 'SUCCEEDED') break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(() => t.close());

  const table = Object.keys(CLIENTS).flatMap((client) => Object.keys(CASES).map((name) => [client, name] as const));

  it.each(table)('%s: answers %s as Apollo does', async (clientName, caseName) => {
    const client = CLIENTS[clientName];
    const c = CASES[caseName];
    const before = await laneAnswers();
    const fast = await send(client, c, false);
    const afterFast = await laneAnswers();
    const apollo = await send(client, c, true);
    const afterApollo = await laneAnswers();

    // Which path answered each request.
    expect([fast.headers.get('x-lipsync-path'), apollo.headers.get('x-lipsync-path')]).toEqual([
      !production && c.lane ? 'fast' : null,
      null,
    ]);
    expect([afterFast - before, afterApollo - afterFast]).toEqual([c.lane ? 1 : 0, 0]);

    expect(fast.status).toBe(apollo.status);
    expect(fast.headers.get('content-type')).toBe(apollo.headers.get('content-type'));
    expect(fast.headers.get('cache-control')).toBe(apollo.headers.get('cache-control'));
    expect(comparable(fast)).toEqual(comparable(apollo));
  });

  it('answers Apollo Client 4 with application/graphql-response+json and a plain client with application/json', async () => {
    const ac4 = await send(CLIENTS['Apollo Client 4'], CASES['a query'], false);
    const router = await send(CLIENTS['Apollo Router'], CASES['a query'], false);
    expect(ac4.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
    expect(router.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('registers a persisted query the way Apollo does: a later hash-only request finds it', async () => {
    const query = 'query Registered { voices(language: ZH) { id } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const registration = await send(
      CLIENTS['Apollo Client 4 (persisted query registration)'],
      { ...CASES['a query'], query, operationName: 'Registered' },
      false,
    );
    expect(registration.status).toBe(200);
    const hashOnly = await fetch(t.server.url, {
      method: 'POST',
      headers: { ...CLIENTS['Apollo Client 4'].headers, authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({
        operationName: 'Registered',
        variables: {},
        extensions: { persistedQuery: { version: 1, sha256Hash } },
      }),
    });
    expect(hashOnly.status).toBe(200);
    expect(await hashOnly.json()).toEqual(registration.body);
  });

  it('records operations from both paths in the same metrics', async () => {
    const shape = CLIENTS['Apollo Client 4'];
    const parity: Case = {
      query: 'query Parity { voices { id } }',
      variables: () => ({}),
      operationName: 'Parity',
      lane: true,
    };
    await send(shape, parity, false);
    await send(shape, parity, true);
    const text = await (await fetch(`${t.server.origin}/metrics`)).text();
    expect(text).toContain('graphql_operations_total{operation="Parity",outcome="success"} 2');
  });
});

/** Values that differ between two creates by construction (a new task, a new upstream request each time), masked. */
const PER_TASK = new Set(['id', 'klingTaskId', 'createdAt', 'updatedAt', 'upstreamRequestId', 'requestId']);

/**
 * The body, with stack traces reduced to "there is one" (outside production both paths add them, and the
 * frames differ by construction: different callers) and per-task values masked.
 */
function comparable(response: GraphQLResponse): unknown {
  return JSON.parse(JSON.stringify(response.body), (key, value: unknown) => {
    if (key === 'stacktrace') return Array.isArray(value) && value.length > 0;
    if (PER_TASK.has(key) && typeof value === 'string') return '<per task>';
    if (key === 'upstreamRequestIds') return '<per request>';
    return value;
  });
}
