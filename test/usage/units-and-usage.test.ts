import { IDENTIFY_MUTATION, VIDEO_URL } from '../support/advancedOperations';
import { FAKE_IDENTIFY_UNITS } from '../support/fakeAdvancedKling';
import { startFakeKling } from '../support/fakeKling';
import { createTestSchema, type TestSchema } from '../support/pgTestDatabase';
import type { GraphQLTestClient } from '../support/graphqlClient';
import { startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';
import { waitFor } from '../support/waitFor';

/**
 * Units charged (Kling's final_unit_deduction) and the usage query, through the real server over HTTP, on both
 * stores: what the fake upstream reports is what `unitsCharged` shows and what `usage` adds up, exactly, per
 * tenant and per UTC day.
 */

const DAY = 86_400_000;
const ALPHA = 'alpha-token';
const BETA = 'beta-token';

/** The fake reports the units a task's text names ("units 0.1"): awkward decimals on purpose. */
const unitsFromText = (input: Record<string, unknown>): string | undefined =>
  /units (\S+)/.exec(String(input.text ?? ''))?.[1];

const CREATE = `mutation C($input: CreateLipSyncInput!) { createLipSync(input: $input) { id status } }`;
const CANCEL = `mutation X($id: ID!) { cancelLipSync(id: $id) { status } }`;
const TASK = `query T($id: ID!) { lipSyncTask(id: $id) { status unitsCharged } }`;
const USAGE = `query U($from: DateTime, $to: DateTime, $groupBy: UsageGroupBy) {
  usage(from: $from, to: $to, groupBy: $groupBy) {
    from to tasks succeeded failed canceled unitsCharged
    days { date tasks succeeded failed canceled unitsCharged }
  }
}`;

async function create(client: GraphQLTestClient, text: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await client.request(CREATE, { input: { ...TEXT_INPUT, text, ...extra } });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.createLipSync.id as string;
}

async function finished(
  client: GraphQLTestClient,
  id: string,
): Promise<{ status: string; unitsCharged: number | null }> {
  return waitFor(
    `task ${id} finished`,
    async () => {
      const task = (await client.request(TASK, { id })).body.data?.lipSyncTask;
      return ['SUCCEEDED', 'FAILED'].includes(task?.status) ? task : undefined;
    },
    20_000,
  );
}

async function unitsCounter(t: TestServer, tenant: string): Promise<number> {
  const text = await (await fetch(`${t.server.origin}/metrics`)).text();
  const match = new RegExp(`^lipsync_units_charged_total\\{tenant="${tenant}"\\} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

describe.each([['SQLite'], ['PostgreSQL']])('units charged and usage (%s)', (store) => {
  let schema: TestSchema | null = null;
  let t: TestServer;
  let alpha: GraphQLTestClient;
  let beta: GraphQLTestClient;
  /** the server's clock runs this far behind the real one: tasks are created on earlier days */
  let offset = 0;
  const ids: Record<string, string> = {};
  /** the UTC day the test started on, and the two before */
  const today = Math.floor(Date.now() / DAY) * DAY;

  beforeAll(async () => {
    schema = store === 'PostgreSQL' ? await createTestSchema() : null;
    t = await startTestServer({
      env: {
        AUTH_TOKENS: `alpha=${ALPHA},beta=${BETA}`,
        ...(schema ? { DATABASE_URL: schema.url } : {}),
        // one task at Kling at a time, so a second create is QUEUED and can be canceled
        KLING_MAX_CONCURRENT_TASKS: '1',
      },
      fake: { processingAfterMs: 20, succeedAfterMs: 60 },
      now: () => Date.now() - offset,
    });
    t.fake.tasks.unitsRule = unitsFromText;
    alpha = t.client.withHeaders({ authorization: `Bearer ${ALPHA}` });
    beta = t.client.withHeaders({ authorization: `Bearer ${BETA}` });

    // Two days ago: one task. Yesterday: a failure (charged 0) and a canceled one. Today: three awkward decimals.
    offset = Date.now() - (today - 2 * DAY + 3_600_000);
    ids.twoDaysAgo = await create(alpha, 'Hello, units 1.005');
    await finished(alpha, ids.twoDaysAgo);
    offset = Date.now() - (today - DAY + 3_600_000);
    ids.failed = await create(alpha, 'no face here, units 0');
    ids.canceled = await create(alpha, 'never sent, units 9');
    expect((await alpha.request(CANCEL, { id: ids.canceled })).body.data?.cancelLipSync.status).toBe('CANCELED');
    await finished(alpha, ids.failed);
    offset = 0;
    ids.a = await create(alpha, 'units 0.1');
    ids.b = await create(alpha, 'units 0.2');
    ids.c = await create(alpha, 'units 0.3333335');
    for (const id of [ids.a, ids.b, ids.c]) await finished(alpha, id);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await schema?.drop();
  });

  it('shows on each task the units the upstream reported, exactly (to a millionth)', async () => {
    const units = async (id: string) => (await alpha.request(TASK, { id })).body.data?.lipSyncTask;
    expect(await units(ids.twoDaysAgo)).toEqual({ status: 'SUCCEEDED', unitsCharged: 1.005 });
    expect(await units(ids.failed)).toEqual({ status: 'FAILED', unitsCharged: 0 });
    expect(await units(ids.canceled)).toEqual({ status: 'CANCELED', unitsCharged: null });
    expect(await units(ids.a)).toEqual({ status: 'SUCCEEDED', unitsCharged: 0.1 });
    expect(await units(ids.b)).toEqual({ status: 'SUCCEEDED', unitsCharged: 0.2 });
    // seven decimals: the seventh rounds half up
    expect(await units(ids.c)).toEqual({ status: 'SUCCEEDED', unitsCharged: 0.333334 });
  });

  it('adds up usage by status and units without float drift, over the default range (this month so far)', async () => {
    const from = new Date(today - 2 * DAY).toISOString();
    const usage = (await alpha.request(USAGE, { from })).body.data?.usage;
    expect(usage).toEqual({
      from,
      to: expect.any(String),
      tasks: 6,
      succeeded: 4,
      failed: 1,
      canceled: 1,
      unitsCharged: 1.638334, // 1.005 + 0 + 0.1 + 0.2 + 0.333334, summed as whole millionths
      days: null,
    });
    const thisMonth = (await alpha.request(USAGE, {})).body.data?.usage;
    expect(thisMonth.from).toBe(
      new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1)).toISOString(),
    );
    const march = (await alpha.request(USAGE, { to: '2026-03-01T00:00:00Z' })).body.data?.usage;
    expect([march.from, march.to]).toEqual(['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
    const todayOnly = (await alpha.request(USAGE, { from: new Date(today).toISOString() })).body.data?.usage;
    expect(todayOnly).toMatchObject({ tasks: 3, succeeded: 3, unitsCharged: 0.633334 });
    expect(0.1 + 0.2 + 0.333334).not.toBe(0.633334); // what a float sum would have answered
  });

  it('groups by UTC day, the days adding up to the totals', async () => {
    const from = new Date(today - 2 * DAY).toISOString();
    const usage = (await alpha.request(USAGE, { from, groupBy: 'DAY' })).body.data?.usage;
    const date = (day: number) => new Date(day).toISOString().slice(0, 10);
    expect(usage.days).toEqual([
      { date: date(today - 2 * DAY), tasks: 1, succeeded: 1, failed: 0, canceled: 0, unitsCharged: 1.005 },
      { date: date(today - DAY), tasks: 2, succeeded: 0, failed: 1, canceled: 1, unitsCharged: 0 },
      { date: date(today), tasks: 3, succeeded: 3, failed: 0, canceled: 0, unitsCharged: 0.633334 },
    ]);
    expect(usage).toMatchObject({ tasks: 6, succeeded: 4, failed: 1, canceled: 1, unitsCharged: 1.638334 });
  });

  it("counts only the caller's tenant", async () => {
    const from = new Date(today - 2 * DAY).toISOString();
    expect((await beta.request(USAGE, { from })).body.data?.usage).toMatchObject({ tasks: 0, unitsCharged: 0 });
    const id = await create(beta, 'units 2.5');
    await finished(beta, id);
    expect((await beta.request(USAGE, { from })).body.data?.usage).toMatchObject({ tasks: 1, unitsCharged: 2.5 });
    expect((await alpha.request(USAGE, { from })).body.data?.usage).toMatchObject({ tasks: 6, unitsCharged: 1.638334 });
  });

  it('sends the units with the final status to subscribers', async () => {
    const id = await create(beta, 'units 0.05');
    const client = beta.ws();
    try {
      const events = await beta.subscribeAll(
        client,
        'subscription S($id: ID!) { lipSyncTaskUpdated(id: $id) { status unitsCharged } }',
        { id },
      );
      expect(events.at(-1)?.data?.lipSyncTaskUpdated).toEqual({ status: 'SUCCEEDED', unitsCharged: 0.05 });
    } finally {
      await client.dispose();
    }
  });

  it('counts units by tenant in Prometheus once per task, however often the task is read', async () => {
    for (let i = 0; i < 3; i++) for (const id of Object.values(ids)) await alpha.request(TASK, { id });
    expect(await unitsCounter(t, 'alpha')).toBeCloseTo(1.638334, 9);
    expect(await unitsCounter(t, 'beta')).toBeCloseTo(2.55, 9);
  });

  it('refuses a reversed or too long range, naming the field', async () => {
    const reversed = await alpha.request(USAGE, { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    expect(reversed.body.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      validationErrors: [{ field: 'to', message: 'to must not be before from' }],
    });
    const tooLong = await alpha.request(USAGE, { from: '2024-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    expect(tooLong.body.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      validationErrors: [{ field: 'from' }],
    });
    const notADate = await alpha.request(USAGE, { from: 'yesterday' });
    expect(notADate.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('counts identifyFaces calls and their units, on their own day too', async () => {
    const FACES = `query F($from: DateTime, $groupBy: UsageGroupBy) {
      usage(from: $from, groupBy: $groupBy) { tasks identifications unitsCharged days { date tasks identifications unitsCharged } }
    }`;
    const from = new Date(today - 2 * DAY).toISOString();
    const before = (await beta.request(FACES, { from })).body.data?.usage;
    const identify = async () =>
      expect((await beta.request(IDENTIFY_MUTATION, { input: { videoUrl: VIDEO_URL } })).body.errors).toBeUndefined();
    offset = Date.now() - (today - 2 * DAY + 3_600_000); // a day with no task of beta's
    await identify();
    offset = 0;
    await identify();
    const each = Number(FAKE_IDENTIFY_UNITS);
    const after = (await beta.request(FACES, { from, groupBy: 'DAY' })).body.data?.usage;
    expect(after).toMatchObject({
      tasks: before.tasks,
      identifications: before.identifications + 2,
      unitsCharged: before.unitsCharged + 2 * each,
    });
    expect(after.days[0]).toEqual({
      date: new Date(today - 2 * DAY).toISOString().slice(0, 10),
      tasks: 0,
      identifications: 1,
      unitsCharged: each,
    });
    // another tenant's usage is untouched
    expect((await alpha.request(FACES, { from })).body.data?.usage).toMatchObject({ identifications: 0 });
  });
});

describe('the units counter across a restart', () => {
  it('counts a task once: in the process whose write stored its units, never again after a restart', async () => {
    const fake = await startFakeKling({ processingAfterMs: 50, succeedAfterMs: 1_500 });
    fake.tasks.unitsRule = unitsFromText;
    const first = await startTestServer({ sharedFake: fake });
    let second: TestServer | undefined;
    try {
      const before = await create(first.client, 'units 0.7');
      await finished(first.client, before);
      const running = await create(first.client, 'units 0.25');
      expect(await unitsCounter(first, 'default')).toBeCloseTo(0.7, 9);
      await first.server.stop();

      // The finished task is read and the running one finishes under the new process: only the latter counts.
      second = await startTestServer({ sharedFake: fake, databaseFile: first.databaseFile });
      expect(await finished(second.client, running)).toEqual({ status: 'SUCCEEDED', unitsCharged: 0.25 });
      expect(await finished(second.client, before)).toEqual({ status: 'SUCCEEDED', unitsCharged: 0.7 });
      expect(await unitsCounter(second, 'default')).toBeCloseTo(0.25, 9);
    } finally {
      await second?.close();
      await first.close().catch(() => undefined);
      await fake.close();
    }
  }, 30_000);
});
