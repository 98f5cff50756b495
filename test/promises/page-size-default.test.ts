import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

const DEFAULT_PAGE_SIZE = 20; // the contract: lipSyncTasks(first: Int = 20, …)

/** lipSyncTasks without `first`, or with `first: null`, answers a page of 20 (docs/api.md, schema.graphql). */
describe('lipSyncTasks default page size', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ fake: { processingAfterMs: 600_000, succeedAfterMs: 1_200_000 } });
    for (let i = 0; i < DEFAULT_PAGE_SIZE + 1; i++) {
      const res = await t.client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, text: `page ${i}` } });
      expect(res.body.errors).toBeUndefined();
    }
  });
  afterAll(() => t.close());

  const page = async (query: string, variables?: Record<string, unknown>) => {
    const res = await t.client.request(query, variables);
    expect(res.body.errors).toBeUndefined();
    const { edges, pageInfo } = res.body.data!.lipSyncTasks as { edges: unknown[]; pageInfo: { hasNextPage: boolean } };
    return { size: edges.length, hasNextPage: pageInfo.hasNextPage };
  };

  it.each([
    ['omitted', '{ lipSyncTasks { edges { cursor } pageInfo { hasNextPage } } }', undefined],
    ['null as a literal', '{ lipSyncTasks(first: null) { edges { cursor } pageInfo { hasNextPage } } }', undefined],
    [
      'null in a variable',
      'query($n: Int) { lipSyncTasks(first: $n) { edges { cursor } pageInfo { hasNextPage } } }',
      { n: null },
    ],
    [
      'an absent variable',
      'query($n: Int) { lipSyncTasks(first: $n) { edges { cursor } pageInfo { hasNextPage } } }',
      {},
    ],
  ])('first %s: a page of 20 out of 21, with a next page', async (_name, query, variables) => {
    expect(await page(query, variables)).toEqual({ size: DEFAULT_PAGE_SIZE, hasNextPage: true });
  });

  it('first: 21 answers all 21 (so the 20 above is the default, not all there is)', async () => {
    expect(await page('{ lipSyncTasks(first: 21) { edges { cursor } pageInfo { hasNextPage } } }')).toEqual({
      size: 21,
      hasNextPage: false,
    });
  });
});
