import { loadConfig } from '../../src/config';
import { ADVANCED_MUTATION, IDENTIFY_MUTATION, VIDEO_URL, faceAudio } from '../support/advancedOperations';
import type { GraphQLTestClient } from '../support/graphqlClient';
import { startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';
import { waitFor } from '../support/waitFor';

/**
 * TENANT_MONTHLY_UNITS through the real server: a create the budget leaves no room for is refused with
 * QUOTA_EXCEEDED before anything is stored or sent upstream; tasks not charged yet count at the tenant's largest
 * charge (one at a time while none is known); a keyed retry of an existing task is never refused.
 */

const CREATE = `mutation C($input: CreateLipSyncInput!) { createLipSync(input: $input) { id status } }`;
const TASK = `query T($id: ID!) { lipSyncTask(id: $id) { status unitsCharged } }`;
const COUNT = `query { usage { tasks } lipSyncTasks(first: 100) { edges { cursor } } }`;

const unitsFromText = (input: Record<string, unknown>): string | undefined =>
  /units (\S+)/.exec(String(input.text ?? ''))?.[1];

describe('monthly unit budget', () => {
  let t: TestServer;
  let capped: GraphQLTestClient;
  let fresh: GraphQLTestClient;
  let free: GraphQLTestClient;

  const create = (client: GraphQLTestClient, text: string, idempotencyKey?: string) =>
    client.request(CREATE, { input: { ...TEXT_INPUT, text, ...(idempotencyKey ? { idempotencyKey } : {}) } });
  const succeeded = (client: GraphQLTestClient, id: string) =>
    waitFor(`task ${id} charged`, async () => {
      const task = (await client.request(TASK, { id })).body.data?.lipSyncTask;
      return task?.unitsCharged !== null && task?.unitsCharged !== undefined ? task : undefined;
    });
  /** Eight creates at once, each on a connection of its own already open, so they reach the server together. */
  const burstOf = async (client: GraphQLTestClient, text: string) => {
    await Promise.all(Array.from({ length: 8 }, () => client.request(COUNT)));
    return Promise.all(Array.from({ length: 8 }, () => create(client, text)));
  };
  const stored = async (client: GraphQLTestClient) => {
    const body = (await client.request(COUNT)).body;
    return { usage: body.data?.usage.tasks, listed: body.data?.lipSyncTasks.edges.length };
  };

  beforeAll(async () => {
    t = await startTestServer({
      env: {
        AUTH_TOKENS:
          'capped=capped-token,fresh=fresh-token,free=free-token,faces=faces-token,burst=burst-token,new=new-token,' +
          'lookers=lookers-token',
        TENANT_MONTHLY_UNITS: 'capped=0.5, fresh=100, faces=1, burst=0.5, new=100, lookers=0.5',
      },
      // long enough that a second create arrives while the first is still running
      fake: { processingAfterMs: 100, succeedAfterMs: 1_500 },
    });
    t.fake.tasks.unitsRule = unitsFromText;
    capped = t.client.withHeaders({ authorization: 'Bearer capped-token' });
    fresh = t.client.withHeaders({ authorization: 'Bearer fresh-token' });
    free = t.client.withHeaders({ authorization: 'Bearer free-token' });
  });
  afterAll(() => t.close());

  it('counts running tasks at the largest charge, then refuses with nothing stored and nothing sent', async () => {
    const first = await create(capped, 'units 0.2', 'first');
    await succeeded(capped, first.body.data!.createLipSync.id);
    // 0.2 charged + nothing running < 0.5: room
    const second = await create(capped, 'units 0.2', 'second');
    expect(second.body.errors).toBeUndefined();
    // 0.2 charged + 1 running × 0.2 (largest charge) = 0.4 < 0.5: room
    const third = await create(capped, 'units 0.2', 'third');
    expect(third.body.errors).toBeUndefined();
    // 0.2 + 2 × 0.2 = 0.6 ≥ 0.5: refused before the second and third are even charged
    const creates = t.fake.count('create');
    const before = await stored(capped);
    const refused = await create(capped, 'units 0.2');
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors?.[0].message).toMatch(/monthly budget of 0\.5 units/);
    expect(refused.body.errors?.[0].extensions).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      budget: 0.5,
      used: 0.2,
      pending: 2,
      estimatePerPendingTask: 0.2,
      resetsAt: expect.stringMatching(/^\d{4}-\d{2}-01T00:00:00\.000Z$/),
    });
    expect(t.fake.count('create')).toBe(creates);
    expect(await stored(capped)).toEqual(before);

    // Once charged: 0.6 ≥ 0.5, refused on units alone.
    await succeeded(capped, second.body.data!.createLipSync.id);
    await succeeded(capped, third.body.data!.createLipSync.id);
    const used = await create(capped, 'units 0.2');
    expect(used.body.errors?.[0].extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', used: 0.6, pending: 0 });
    expect(used.body.errors?.[0].message).toMatch(/is used up/);
    expect(t.fake.count('create')).toBe(creates);
  });

  it('counts identifyFaces charges against the budget, and refuses identifyFaces and createAdvancedLipSync past it before Kling is called', async () => {
    const faces = t.client.withHeaders({ authorization: 'Bearer faces-token' });
    const identify = () => faces.request(IDENTIFY_MUTATION, { input: { videoUrl: VIDEO_URL } });
    const first = await identify();
    expect(first.body.errors).toBeUndefined();
    const sessionId = first.body.data!.identifyFaces.sessionId as string;
    // two identifications of 0.5 units use up a budget of 1
    expect((await identify()).body.errors).toBeUndefined();
    const posts = () => t.fake.count('identify_face') + t.fake.count('advanced_create') + t.fake.count('create');
    const before = posts();
    const refused = await identify();
    expect(refused.body.errors?.[0].extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', used: 1, pending: 0 });
    const advanced = await faces.request(ADVANCED_MUTATION, { input: { sessionId, faces: [faceAudio()] } });
    expect(advanced.body.errors?.[0].extensions?.code).toBe('QUOTA_EXCEEDED');
    expect((await create(faces, 'units 0.1')).body.errors?.[0].extensions?.code).toBe('QUOTA_EXCEEDED');
    expect(posts()).toBe(before);
  });

  it('lets one identifyFaces of a burst through when one identification uses up the budget', async () => {
    const lookers = t.client.withHeaders({ authorization: 'Bearer lookers-token' });
    const before = t.fake.count('identify_face');
    await Promise.all(Array.from({ length: 4 }, () => lookers.request(COUNT)));
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => lookers.request(IDENTIFY_MUTATION, { input: { videoUrl: VIDEO_URL } })),
    );
    const codes = answers.map((answer) => answer.body.errors?.[0].extensions?.code ?? 'identified');
    expect(codes.sort()).toEqual(['QUOTA_EXCEEDED', 'QUOTA_EXCEEDED', 'QUOTA_EXCEEDED', 'identified']);
    expect(t.fake.count('identify_face')).toBe(before + 1);
  });

  it('never refuses a keyed retry of a task already made', async () => {
    const creates = t.fake.count('create');
    const retry = await create(capped, 'units 0.2', 'second');
    expect(retry.body.errors).toBeUndefined();
    expect(retry.body.data?.createLipSync.status).toBe('SUCCEEDED');
    expect(t.fake.count('create')).toBe(creates);
  });

  it('starts a tenant without a known charge one task at a time', async () => {
    const first = await create(fresh, 'units 1');
    expect(first.body.errors).toBeUndefined();
    const second = await create(fresh, 'units 1');
    expect(second.body.errors?.[0].extensions).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      used: 0,
      pending: 1,
      estimatePerPendingTask: null,
    });
    await succeeded(fresh, first.body.data!.createLipSync.id);
    // now priced at 1 unit a task, with 99 units of room
    for (let i = 0; i < 3; i++) expect((await create(fresh, 'units 1')).body.errors).toBeUndefined();
  });

  it('lets one create of a burst through for a tenant without a known charge', async () => {
    const newcomer = t.client.withHeaders({ authorization: 'Bearer new-token' });
    const answers = await burstOf(newcomer, 'units 1');
    const created = answers.filter((answer) => answer.body.errors === undefined);
    expect(created).toHaveLength(1);
  });

  it('lets a burst of concurrent creates through only as far as the budget has room', async () => {
    const burst = t.client.withHeaders({ authorization: 'Bearer burst-token' });
    const first = await create(burst, 'units 0.2');
    await succeeded(burst, first.body.data!.createLipSync.id);
    // 0.2 charged: room for a task (0.2 + 0 × 0.2), then another (0.2 + 1 × 0.2 = 0.4), then none (0.6 ≥ 0.5)
    const answers = await burstOf(burst, 'units 0.2');
    const codes = answers.map((answer) => answer.body.errors?.[0].extensions?.code ?? 'created');
    expect(codes.filter((code) => code === 'created')).toHaveLength(2);
    expect(codes.filter((code) => code === 'QUOTA_EXCEEDED')).toHaveLength(6);
  });

  it('leaves tenants without a budget alone', async () => {
    for (let i = 0; i < 3; i++) expect((await create(free, 'units 50')).body.errors).toBeUndefined();
  });
});

describe('TENANT_MONTHLY_UNITS at startup', () => {
  it.each([
    ['capped=lots', /TENANT_MONTHLY_UNITS must be tenant=units/],
    ['capped=-1', /TENANT_MONTHLY_UNITS must be tenant=units/],
    ['capped=1,capped=2', /TENANT_MONTHLY_UNITS gives tenant capped two budgets/],
    ['nobody=5', /TENANT_MONTHLY_UNITS names tenant nobody, which no client token belongs to/],
  ])('refuses %s with a one-line error naming the variable', (value, message) => {
    expect(() => loadConfig({ AUTH_TOKENS: 'capped=capped-token', TENANT_MONTHLY_UNITS: value })).toThrow(message);
  });
});
