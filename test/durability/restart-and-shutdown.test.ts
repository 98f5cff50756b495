import fs from 'node:fs';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import {
  acceptsConnections,
  childEnv,
  freePort,
  makeTempDir,
  requireBuild,
  startChildServer,
  withDeadline,
  type ChildServer,
} from '../support/childServer';
import { startFakeKling, type FakeKling } from '../support/fakeKling';
import { GraphQLTestClient } from '../support/graphqlClient';
import { startHoldingProxy, type HoldingProxy } from '../support/holdingProxy';
import { readTaskRows } from '../support/storeFile';
import { CREATE_MUTATION, TEXT_INPUT } from '../support/testServer';
import { waitFor } from '../support/waitFor';

const SUBSCRIPTION = /* GraphQL */ `
  subscription Follow($id: ID!) { lipSyncTaskUpdated(id: $id) { id status } }
`;
/** A drained server exits in about a second; this leaves a wide margin and is far below the grace period. */
const EXIT_AFTER_DRAIN_MS = 8_000;
const ORDER = ['SUBMITTED', 'PROCESSING', 'SUCCEEDED'];

type Event = { data?: { lipSyncTaskUpdated: { id: string; status: string } } | null; errors?: unknown[] };

async function createTask(client: GraphQLTestClient, text: string): Promise<string> {
  const res = await client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, text } });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.createLipSync.id as string;
}

describe('restart and graceful shutdown of the real process', () => {
  let dir: string;
  const children: ChildServer[] = [];
  const fakes: FakeKling[] = [];
  const proxies: HoldingProxy[] = [];
  beforeAll(() => {
    requireBuild();
    dir = makeTempDir('lipsync-restart-');
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.dispose()));
    await Promise.all(fakes.splice(0).map((f) => f.close()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function start(
    fake: FakeKling,
    databaseFile: string,
    port: number,
    extra: Record<string, string> = {},
  ): Promise<ChildServer> {
    const env = childEnv(fake, databaseFile, {
      POLL_MIN_MS: '100',
      POLL_MAX_MS: '400',
      RECONCILE_INTERVAL_MS: '500',
      ...extra,
    });
    const child = await startChildServer({ env, port, cwd: dir });
    children.push(child);
    return child;
  }

  it('after a crash, every live task is followed again: the store converges and a late subscriber sees the end', async () => {
    // Slow enough that the tasks are still live when the second process is up, even when starting two
    // processes on a loaded machine takes several seconds (hence the longer test timeout below).
    const fake = await startFakeKling({ processingAfterMs: 2_500, succeedAfterMs: 10_000 });
    fakes.push(fake);
    const databaseFile = path.join(dir, 'restart.db');
    const port = await freePort();

    const first = await start(fake, databaseFile, port);
    const client = new GraphQLTestClient(first.url, first.wsUrl);
    const ids = [
      await createTask(client, 'restart 1'),
      await createTask(client, 'restart 2'),
      await createTask(client, 'restart 3'),
    ];
    expect(await first.crash()).toEqual({ code: null, signal: 'SIGKILL' });
    const atCrash = readTaskRows(databaseFile);
    expect(atCrash.map((r) => r.id).sort()).toEqual([...ids].sort()); // our ids; each row holds its upstream id
    for (const row of atCrash) expect(row.upstream_id).toMatch(/^\d+$/);
    for (const row of atCrash) expect(['submitted', 'processing']).toContain(row.state);

    const second = await start(fake, databaseFile, port);
    const ws: Client = client.ws();
    try {
      // Only the first task has a subscriber; nobody asks about the other two.
      const events = (await client.subscribeAll(ws, SUBSCRIPTION, { id: ids[0] })) as Event[];
      const statuses = events.map((e) => e.data!.lipSyncTaskUpdated.status);
      expect(['SUBMITTED', 'PROCESSING']).toContain(statuses[0]); // the current state first
      expect(statuses.at(-1)).toBe('SUCCEEDED'); // then completion
      expect(statuses.map((s) => ORDER.indexOf(s))).toEqual([...statuses.map((s) => ORDER.indexOf(s))].sort());
      expect(new Set(statuses).size).toBe(statuses.length);
    } finally {
      await ws.dispose();
    }

    const rows = await waitFor('every task to reach succeeded in the store', () => {
      const now = readTaskRows(databaseFile);
      return now.length === 3 && now.every((r) => r.state === 'succeeded') && now;
    });
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(fake.count('create')).toBe(3);
    expect(await second.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 60_000);

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s: stops accepting, finishes the in-flight create (200), closes WebSockets with 1001, exits 0',
    async (signal) => {
      const fake = await startFakeKling({ processingAfterMs: 600_000, succeedAfterMs: 1_200_000 });
      fakes.push(fake);
      // The server talks to the fake through a hop that can keep a create's answer back for as long as the test needs.
      const proxy = await startHoldingProxy(fake.url);
      proxies.push(proxy);
      const port = await freePort();
      // A long grace period: a clean drain must not need it (it is only the cut-off for what does not finish).
      // A long upstream timeout: the held create must not time out however slowly the machine runs.
      const child = await start(fake, path.join(dir, `shutdown-${signal}.db`), port, {
        SHUTDOWN_GRACE_MS: '60000',
        KLING_BASE_URL: proxy.url,
        KLING_TIMEOUT_MS: '60000',
      });
      const client = new GraphQLTestClient(child.url, child.wsUrl);
      const id = await createTask(client, `shutdown ${signal} live`);

      // A subscriber following a live task.
      const ws = client.ws();
      const closeCode = new Promise<number>((resolve) =>
        ws.on('closed', (event) => resolve((event as { code: number }).code)),
      );
      const events: Event[] = [];
      const subscription = new Promise<void>((resolve) => {
        ws.subscribe(
          { query: SUBSCRIPTION, variables: { id } },
          { next: (e) => void events.push(e as Event), error: () => resolve(), complete: () => resolve() },
        );
      });
      await waitFor('the first subscription event', () => events.length > 0);
      expect(events[0].data!.lipSyncTaskUpdated).toEqual({ id, status: 'SUBMITTED' });

      // A create in flight: the upstream has booked it, and its answer is kept back until the listener is closed.
      proxy.hold((method) => method === 'POST');
      let inFlightDone = false;
      const inFlight = client
        .request(CREATE_MUTATION, { input: { ...TEXT_INPUT, text: `shutdown ${signal} in flight` } })
        .finally(() => {
          inFlightDone = true;
        });
      await waitFor('the create to reach the upstream', () => proxy.held() === 1);

      child.send(signal);
      // New connections are refused while the in-flight request is still being answered.
      await waitFor('the listener to close', async () => !(await acceptsConnections(port)), 15_000, 20);
      expect(inFlightDone).toBe(false);
      proxy.release();

      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.createLipSync).toMatchObject({
        klingTaskId: expect.stringMatching(/^\d+$/),
        status: 'SUBMITTED',
      });
      expect(await closeCode).toBe(1001);
      await subscription;
      // Nothing is left in flight now; the client's keep-alive connection is idle and must not hold the exit.
      const exit = await withDeadline(
        child.exited,
        EXIT_AFTER_DRAIN_MS,
        `no exit within ${EXIT_AFTER_DRAIN_MS} ms of ${signal} although every request was answered ` +
          '(an idle keep-alive connection is held open until SHUTDOWN_GRACE_MS cuts it)',
      );
      expect(exit).toEqual({ code: 0, signal: null });
      expect(child.stderr()).toBe('');

      // What was answered was stored: the task the client got is there, accepted.
      const rows = readTaskRows(path.join(dir, `shutdown-${signal}.db`));
      expect(rows.find((r) => r.id === res.body.data!.createLipSync.id)?.state).toBe('submitted');
      expect(rows.filter((r) => r.state === 'submitting')).toEqual([]);
    },
  );
});
