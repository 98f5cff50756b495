import type { Client } from 'graphql-ws';
import { waitFor } from '../support/childServer';
import type { GraphQLTestClient } from '../support/graphqlClient';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

const TASK = 'query($id: ID!) { lipSyncTask(id: $id) { id status } }';
const TASKS = '{ lipSyncTasks(first: 100) { edges { node { id } } } }';
const ENTITIES = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on LipSyncTask { id status } } }';
const FOLLOW = 'subscription($id: ID!) { lipSyncTaskUpdated(id: $id) { id status } }';

type Result = {
  data?: Record<string, any> | null;
  errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
};

/**
 * With AUTH_TOKENS, a tenant sees only its own tasks, on every read path: lipSyncTask, lipSyncTasks and
 * `_entities` over HTTP and over graphql-ws, and the lipSyncTaskUpdated subscription. Two tasks of acme are
 * asked for by globex: one finished and already read by acme (so it is served from the finished-task cache),
 * one globex asks for first (so it is read from the store).
 */
describe('tenant isolation on every read path (two tenants)', () => {
  let t: TestServer;
  let acme: GraphQLTestClient;
  let globex: GraphQLTestClient;
  let globexWs: Client;
  let finishedId: string;
  let freshId: string;
  let globexId: string;

  beforeAll(async () => {
    t = await startTestServer({
      env: { AUTH_TOKENS: 'acme=tok-acme-1,globex=tok-globex-2' },
      fake: { processingAfterMs: 50, succeedAfterMs: 150 },
    });
    acme = t.client.withHeaders({ authorization: 'Bearer tok-acme-1' });
    globex = t.client.withHeaders({ authorization: 'Bearer tok-globex-2' });
    globexWs = globex.ws();

    const create = async (client: GraphQLTestClient, text: string) => {
      const res = await client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, text } });
      expect(res.body.errors).toBeUndefined();
      return res.body.data!.createLipSync.id as string;
    };
    finishedId = await create(acme, 'acme finished');
    await waitFor(
      'acme to see its task SUCCEEDED',
      async () => (await acme.request(TASK, { id: finishedId })).body.data?.lipSyncTask?.status === 'SUCCEEDED',
      15_000,
      100,
    );
    freshId = await create(acme, 'acme fresh');
    globexId = await create(globex, 'globex own');
  });
  afterAll(async () => {
    await globexWs?.dispose();
    await t?.close();
  });

  /** Every result of one operation over graphql-ws; a generous deadline, so a stream that never ends fails by name. */
  const overWs = (query: string, variables: Record<string, unknown>): Promise<Result[]> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no end to ${query} within 10 s`)), 10_000);
    });
    return Promise.race([globex.subscribeAll(globexWs, query, variables) as Promise<Result[]>, deadline]).finally(() =>
      clearTimeout(timer),
    );
  };

  it.each([
    ['finished (cached)', () => finishedId],
    ['fresh (from the store)', () => freshId],
  ])("lipSyncTask over HTTP and WebSocket: null for another tenant's %s task", async (_name, id) => {
    expect((await globex.request(TASK, { id: id() })).body).toEqual({ data: { lipSyncTask: null } });
    expect(await overWs(TASK, { id: id() })).toEqual([{ data: { lipSyncTask: null } }]);
  });

  it("_entities over HTTP and WebSocket: null for another tenant's tasks, its own resolved", async () => {
    const r = [finishedId, freshId, globexId].map((id) => ({ __typename: 'LipSyncTask', id }));
    const expected = { data: { _entities: [null, null, { id: globexId, status: expect.any(String) }] } };
    expect((await globex.request(ENTITIES, { r })).body).toEqual(expected);
    expect(await overWs(ENTITIES, { r })).toEqual([expected]);
  });

  it("lipSyncTasks over HTTP and WebSocket: only the caller's own tasks", async () => {
    const expected = { data: { lipSyncTasks: { edges: [{ node: { id: globexId } }] } } };
    expect((await globex.request(TASKS)).body).toEqual(expected);
    expect(await overWs(TASKS, {})).toEqual([expected]);
    // acme's list has both of its tasks and not globex's
    const acmeList = (await acme.request(TASKS)).body.data!.lipSyncTasks.edges.map(
      (e: { node: { id: string } }) => e.node.id,
    );
    expect(new Set(acmeList)).toEqual(new Set([finishedId, freshId]));
  });

  it.each([
    ['finished', () => finishedId],
    ['fresh', () => freshId],
  ])("lipSyncTaskUpdated: NOT_FOUND for another tenant's %s task, then complete", async (_name, id) => {
    const events = await overWs(FOLLOW, { id: id() });
    expect(events).toEqual([
      { errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'NOT_FOUND' }) })] },
    ]);
  });

  it('acme sees its own tasks (so the refusals above are about the tenant, not the ids)', async () => {
    for (const id of [finishedId, freshId]) {
      expect((await acme.request(TASK, { id })).body.data!.lipSyncTask).toEqual({ id, status: expect.any(String) });
      const entities = await acme.request(ENTITIES, { r: [{ __typename: 'LipSyncTask', id }] });
      expect(entities.body.data!._entities).toEqual([{ id, status: expect.any(String) }]);
    }
  });
});
