import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';
import { WireSocket } from './websocketWire';

const TOKEN = 'tok-acme-ws-limits';
const OTHER_TOKEN = 'tok-globex-ws-limits';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const SUBSCRIPTION = 'subscription Follow($id: ID!) { lipSyncTaskUpdated(id: $id) { id status } }';
/** the HTTP body limit, which WebSocket messages share (src/composition/servingLimits.ts BODY_LIMIT) */
const MAX_PAYLOAD = 8 * 1024 * 1024;

type ErrorPayload = Array<{ message: string; extensions?: { code?: string } }>;

describe('WebSocket limits (issue 11, item 1)', () => {
  let t: TestServer;
  let liveTask: string;
  beforeAll(async () => {
    t = await startTestServer({
      env: { AUTH_TOKENS: `acme=${TOKEN},globex=${OTHER_TOKEN}` },
      // tasks stay live for the whole file, so their subscriptions stay open
      fake: { processingAfterMs: 120_000, succeedAfterMs: 240_000 },
    });
    const created = await t.client.withHeaders(AUTH).request(CREATE_MUTATION, { input: TEXT_INPUT });
    liveTask = created.body.data!.createLipSync.id;
  });
  afterAll(() => t.close());

  it('accepts 100 operations on one socket and refuses the rest of 2,001 with a clear error, the socket staying usable', async () => {
    const wire = await WireSocket.open(t.server.wsUrl);
    await wire.init(AUTH);
    for (let i = 0; i < 2001; i++) wire.subscribe(String(i), SUBSCRIPTION, { id: liveTask });
    const nextIds = () => new Set(wire.received.filter((m) => m.type === 'next').map((m) => m.id));
    const errors = () => wire.received.filter((m) => m.type === 'error');
    await wire.until(
      () => nextIds().size === 100 && errors().length === 1901,
      '100 live subscriptions and 1,901 refusals',
    );
    expect([...nextIds()].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const refusal = (errors()[0].payload as ErrorPayload)[0];
    expect(refusal.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refusal.message).toMatch(/at most 100 at once/);

    // Completing one frees its place for another.
    wire.send({ id: '0', type: 'complete' });
    wire.subscribe('again', SUBSCRIPTION, { id: liveTask });
    await wire.until(
      () => wire.received.some((m) => m.type === 'next' && m.id === 'again'),
      'the next subscription to start',
    );
    wire.close();
  });

  it('closes the socket with 1009 on a message over the payload limit, without parsing it (garbage would be 4400)', async () => {
    const wire = await WireSocket.open(t.server.wsUrl);
    await wire.init(AUTH);
    wire.send('x'.repeat(MAX_PAYLOAD + 1));
    expect((await wire.closed).code).toBe(1009);

    // The limit holds before authentication too: an oversized connection_init is never read.
    const anonymous = await WireSocket.open(t.server.wsUrl);
    anonymous.send(
      JSON.stringify({
        type: 'connection_init',
        payload: { authorization: `Bearer ${TOKEN}`, pad: 'x'.repeat(MAX_PAYLOAD) },
      }),
    );
    expect((await anonymous.closed).code).toBe(1009);
    expect(anonymous.received).toEqual([]);
    // one log line each, not a stack trace on stderr
    expect(t.logs().match(/WS_ERR_UNSUPPORTED_MESSAGE_LENGTH/g)).toHaveLength(2);
  });

  it('closes with 4403 when the upgrade carries a bad token, before any message', async () => {
    const wire = await WireSocket.open(t.server.wsUrl, { authorization: 'Bearer not-a-token' });
    expect((await wire.closed).code).toBe(4403);
    expect(wire.received).toEqual([]);
  });

  it('closes with 4403 when connection_init carries a bad token or none', async () => {
    for (const payload of [{ authorization: 'Bearer not-a-token' }, {}]) {
      const wire = await WireSocket.open(t.server.wsUrl);
      wire.send({ type: 'connection_init', payload });
      expect((await wire.closed).code).toBe(4403);
    }
  });

  it('accepts a good token on the upgrade request alone', async () => {
    const wire = await WireSocket.open(t.server.wsUrl, AUTH);
    await wire.init();
    wire.subscribe('1', SUBSCRIPTION, { id: liveTask });
    await wire.until(() => wire.received.some((m) => m.type === 'next'), 'the first event');
    wire.close();
  });

  it('logs, counts and scopes a mutation over WebSocket like one over HTTP', async () => {
    const wire = await WireSocket.open(t.server.wsUrl);
    await wire.init(AUTH);
    wire.send({ id: 'm', type: 'subscribe', payload: { query: CREATE_MUTATION, variables: { input: TEXT_INPUT } } });
    await wire.until(
      () => wire.received.some((m) => m.type === 'complete' && m.id === 'm'),
      'the mutation to complete',
    );
    const result = wire.received.find((m) => m.type === 'next' && m.id === 'm')!.payload as {
      data: { createLipSync: { id: string } };
    };
    const id = result.data.createLipSync.id;
    wire.close();

    const line = t
      .logs()
      .split('\n')
      .filter((l) => l.includes('graphql operation') && l.includes('"operation":"Create"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .at(-1);
    expect(line).toMatchObject({ operation: 'Create', outcome: 'success', tenant: 'acme' });
    const metrics = await (await fetch(`${t.server.origin}/metrics`)).text();
    // two creates: the one in beforeAll over HTTP, this one over WebSocket
    expect(metrics).toMatch(/graphql_operations_total\{operation="Create",outcome="success"\} 2\b/);

    const other = await WireSocket.open(t.server.wsUrl);
    await other.init({ authorization: `Bearer ${OTHER_TOKEN}` });
    other.subscribe('q', 'query($id: ID!) { lipSyncTask(id: $id) { id } }', { id });
    await other.until(() => other.received.some((m) => m.type === 'next'), 'the query answer');
    expect(other.received.find((m) => m.type === 'next')!.payload).toEqual({ data: { lipSyncTask: null } });
    other.close();
  });
});

describe('WebSocket socket cap (WS_MAX_CONNECTIONS)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      env: { WS_MAX_CONNECTIONS: '2' },
      fake: { processingAfterMs: 120_000, succeedAfterMs: 240_000 },
    });
  });
  afterAll(() => t.close());

  it('refuses an upgrade past the cap with 503 and keeps serving the open sockets', async () => {
    const first = await WireSocket.open(t.server.wsUrl);
    const second = await WireSocket.open(t.server.wsUrl);
    await Promise.all([first.init(), second.init()]);
    await expect(WireSocket.open(t.server.wsUrl)).rejects.toThrow('upgrade refused: 503');
    first.subscribe('q', '{ voices { id } }');
    await first.until(() => first.received.some((m) => m.type === 'complete'), 'the query on an open socket');
    first.close();
    second.close();
    // a place freed is a place available again
    const third = await waitForOpen(t.server.wsUrl);
    await third.init();
    third.close();
  });
});

async function waitForOpen(url: string): Promise<WireSocket> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await WireSocket.open(url);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
