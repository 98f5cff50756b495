import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { childEnv, freePort, makeTempDir, startChildServer, type ChildServer } from '../support/childServer';
import { startFakeKling, type FakeKling } from '../support/fakeKling';
import { GraphQLTestClient } from '../support/graphqlClient';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlpReceiver';
import { CREATE_MUTATION, TEXT_INPUT } from '../support/testServer';

/**
 * The built server (`node dist/index.js`, so the SDK reads the real process environment as in production)
 * exporting to a real OTLP/HTTP receiver on 127.0.0.1, in both encodings.
 */
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;
const SERVER = 2;
const CLIENT = 3;

let fake: FakeKling;
let receiver: OtlpReceiver;
let server: ChildServer | null = null;

beforeAll(async () => {
  fake = await startFakeKling();
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  await server?.dispose();
  server = null;
  await receiver?.close();
});

async function startTraced(extra: Record<string, string>): Promise<GraphQLTestClient> {
  receiver = await OtlpReceiver.start();
  const dir = makeTempDir();
  server = await startChildServer({
    port: await freePort(),
    cwd: dir,
    env: childEnv(fake, path.join(dir, 'lipsync.db'), {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_SERVICE_NAME: 'lipsync-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...extra,
    }),
  });
  return new GraphQLTestClient(server.url, server.wsUrl);
}

async function tracedCreate(client: GraphQLTestClient): Promise<string> {
  const response = await client.request<{ createLipSync: { upstreamRequestId: string } }>(
    CREATE_MUTATION,
    { input: TEXT_INPUT },
    { traceparent: TRACEPARENT, tracestate: 'vendor=abc' },
  );
  expect(response.body.errors).toBeUndefined();
  const requestId = response.body.data?.createLipSync.upstreamRequestId;
  expect(requestId).toEqual(expect.any(String));
  return requestId as string;
}

const named = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);
const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) =>
  spans.filter((s) => s.parentSpanId === parent.spanId);

/** The create's span tree: operation under the caller's span, the upstream POST and store calls under the operation. */
async function expectCreateTree(requestId: string): Promise<void> {
  const spans = await receiver.waitFor(
    (all) =>
      all.some((s) => s.name === 'POST /v1/videos/lip-sync' && s.traceId === CALLER_TRACE) &&
      named(all, 'mutation Create').length > 0,
  );
  const [operation] = named(spans, 'mutation Create');
  expect(operation).toMatchObject({
    traceId: CALLER_TRACE,
    parentSpanId: CALLER_SPAN,
    traceState: 'vendor=abc',
    kind: SERVER,
    serviceName: 'lipsync-under-test',
    attributes: expect.objectContaining({
      'graphql.operation.name': 'Create',
      'graphql.operation.type': 'mutation',
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'http.response.status_code': 200,
    }),
  });
  const children = childrenOf(spans, operation);
  const [upstream] = named(children, 'POST /v1/videos/lip-sync');
  expect(upstream).toMatchObject({
    traceId: CALLER_TRACE,
    kind: CLIENT,
    attributes: expect.objectContaining({
      'http.request.method': 'POST',
      'url.template': '/v1/videos/lip-sync',
      'http.response.status_code': 200,
      'http.request.resend_count': 0,
      'kling.code': 0,
      'kling.request_id': requestId,
    }),
  });
  const storeCalls = children.filter((s) => s.name.startsWith('TaskStore.')).map((s) => s.name);
  expect(storeCalls).toEqual(expect.arrayContaining(['TaskStore.insertIntentClaimed', 'TaskStore.markAccepted']));
  for (const call of children.filter((s) => s.name.startsWith('TaskStore.'))) {
    expect(call.attributes).toMatchObject({
      'db.system.name': 'sqlite',
      'db.operation.name': call.name.slice('TaskStore.'.length),
    });
  }
}

describe('OpenTelemetry export over OTLP/HTTP', () => {
  it('http/json: a create continues the caller traceparent, with the upstream POST (Kling request_id) and store calls as children', async () => {
    const client = await startTraced({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    await expectCreateTree(await tracedCreate(client));
    expect(new Set(receiver.contentTypes)).toEqual(new Set(['application/json']));
  });

  it('http/protobuf (the default encoding): the same tree arrives as application/x-protobuf', async () => {
    const client = await startTraced({});
    await expectCreateTree(await tracedCreate(client));
    expect(new Set(receiver.contentTypes)).toEqual(new Set(['application/x-protobuf']));
  });

  it("one span per upstream attempt: a create's retry after Kling's maintenance answer is a second child, resend_count 1", async () => {
    const client = await startTraced({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    // 5001 is the one refusal a create is re-sent after (1302/1303 send the task back to the queue instead).
    fake.inject({ code: 5001 }, { endpoint: 'create' });
    const requestId = await tracedCreate(client);
    const spans = await receiver.waitFor(
      (all) => named(all, 'POST /v1/videos/lip-sync').length >= 2 && named(all, 'mutation Create').length > 0,
    );
    const [operation] = named(spans, 'mutation Create');
    const attempts = named(childrenOf(spans, operation), 'POST /v1/videos/lip-sync').sort(
      (a, b) => Number(a.attributes['http.request.resend_count']) - Number(b.attributes['http.request.resend_count']),
    );
    expect(attempts.map((a) => a.attributes)).toEqual([
      expect.objectContaining({ 'http.request.resend_count': 0, 'kling.code': 5001, 'http.response.status_code': 503 }),
      expect.objectContaining({ 'http.request.resend_count': 1, 'kling.code': 0, 'kling.request_id': requestId }),
    ]);
    expect(attempts[0].statusCode).toBe(2);
  });

  it("Apollo's path (and its error codes) and WebSocket operations are traced too", async () => {
    const client = await startTraced({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    // a document that fails validation is left to Apollo by the fast lane
    const broken = await client.request('query Broken { noSuchField }', undefined, { traceparent: TRACEPARENT });
    expect(broken.status).toBe(400);
    const ws = client.ws();
    try {
      const results = await client.subscribeAll(ws, 'query Tasks { lipSyncTasks(first: 1) { edges { cursor } } }', {});
      expect(results[0].errors).toBeUndefined();
    } finally {
      await ws.dispose();
    }
    const spans = await receiver.waitFor(
      (all) => all.some((s) => s.name === 'query Tasks') && all.some((s) => s.traceId === CALLER_TRACE),
    );
    const apollo = spans.find((s) => s.traceId === CALLER_TRACE);
    expect(apollo).toMatchObject({
      parentSpanId: CALLER_SPAN,
      statusCode: 2,
      attributes: expect.objectContaining({
        'graphql.error.codes': ['GRAPHQL_VALIDATION_FAILED'],
        'http.response.status_code': 400,
      }),
    });
    const [overWs] = named(spans, 'query Tasks');
    expect(overWs).toMatchObject({
      kind: SERVER,
      attributes: expect.objectContaining({ 'graphql.operation.type': 'query', 'network.protocol.name': 'websocket' }),
    });
    expect(named(childrenOf(spans, overWs), 'TaskStore.list')).toHaveLength(1);
  });

  it('OTEL_SDK_DISABLED=true: nothing is exported even with an endpoint set', async () => {
    const client = await startTraced({ OTEL_SDK_DISABLED: 'true' });
    await tracedCreate(client);
    const exit = await (server as ChildServer).signal('SIGTERM');
    expect(exit.code).toBe(0);
    expect(receiver.contentTypes).toEqual([]);
  });
});
