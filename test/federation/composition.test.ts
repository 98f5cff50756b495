import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import gql from 'graphql-tag';
import {
  fetchSubgraphSdl,
  startGateway,
  startSubgraph,
  startVideosSubgraph,
  VIDEOS_SUBGRAPH_SDL,
  type RunningGateway,
  type RunningGraph,
} from '../support/federation';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

/**
 * This server as one subgraph of a real supergraph: composed with another team's subgraph that references
 * `LipSyncTask` by key, and queried through Apollo Gateway so task fields arrive through `_entities`.
 */
const ENTITIES_QUERY = /* GraphQL */ `
  query Entities($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on LipSyncTask { id status mode }
    }
  }
`;

let lipSync: TestServer;
let videos: RunningGraph;
let gateway: RunningGateway;
let comments: RunningGraph;
let relayGateway: RunningGateway;
let taskId: string;
let sdl: string;

beforeAll(async () => {
  // Slow upstream progression: the task stays SUBMITTED for the whole file, so answers are exact.
  lipSync = await startTestServer({ fake: { processingAfterMs: 60_000, succeedAfterMs: 120_000 } });
  const created = await lipSync.client.request<{ createLipSync: { id: string } }>(CREATE_MUTATION, {
    input: TEXT_INPUT,
  });
  if (!created.body.data) throw new Error(`createLipSync failed: ${JSON.stringify(created.body.errors)}`);
  taskId = created.body.data.createLipSync.id;
  videos = await startVideosSubgraph((videoId) => (videoId === 'v1' ? [taskId] : []));
  sdl = await fetchSubgraphSdl(lipSync.client);
});

afterAll(async () => {
  await relayGateway?.close();
  await comments?.close();
  await gateway?.close();
  await videos?.close();
  await lipSync?.close();
});

describe('our subgraph on its own', () => {
  it('declares LipSyncTask as an entity keyed by id in _service { sdl }', () => {
    expect(sdl).toMatch(/type LipSyncTask\b[^{]*@key\(fields: "id"\)/);
  });

  it('resolves LipSyncTask references through _entities, null for an unknown id', async () => {
    const { body } = await lipSync.client.request(ENTITIES_QUERY, {
      representations: [
        { __typename: 'LipSyncTask', id: taskId },
        { __typename: 'LipSyncTask', id: 'no-such-task' },
      ],
    });
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ _entities: [{ id: taskId, status: 'SUBMITTED', mode: 'TEXT_TO_VIDEO' }, null] });
  });
});

describe('composed with a videos subgraph', () => {
  let inconsistencies: string[];

  beforeAll(async () => {
    const result = composeServices([
      { name: 'lipsync', url: lipSync.server.url, typeDefs: parse(sdl) },
      { name: 'videos', url: videos.url, typeDefs: VIDEOS_SUBGRAPH_SDL },
    ]);
    if (result.errors) throw new Error(`composition failed:\n${result.errors.map((e) => e.message).join('\n')}`);
    inconsistencies = result.hints
      .filter((hint) => hint.definition.code.startsWith('INCONSISTENT_'))
      .map((hint) => hint.toString());
    gateway = await startGateway(result.supergraphSdl);
  });

  it('composes without errors or INCONSISTENT_* hints', () => {
    expect(inconsistencies).toEqual([]);
  });

  it('answers a query through the gateway, task fields fetched from our subgraph via _entities', async () => {
    const { status, body } = await gateway.client.request('{ video(id: "v1") { id lipSyncTasks { id status mode } } }');
    expect(status).toBe(200);
    expect(body).toEqual({
      data: { video: { id: 'v1', lipSyncTasks: [{ id: taskId, status: 'SUBMITTED', mode: 'TEXT_TO_VIDEO' }] } },
    });
    expect(gateway.subgraphRequests.map((r) => r.subgraph)).toEqual(['videos', 'lipsync']);
    expect(gateway.subgraphRequests[1].query).toContain('_entities(representations:');
  });
});

/**
 * A Relay-shaped subgraph as another team would write it: its own `PageInfo` (shareable, the four fields the
 * Relay spec requires), its own connection, and a field added to `LipSyncTask` by key. Composing with it is
 * what failed before (non-shareable PageInfo, then no hasPreviousPage in ours).
 */
const COMMENTS_SUBGRAPH_SDL = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  type LipSyncTask @key(fields: "id") {
    id: ID!
    comments(first: Int = 10, after: String): CommentConnection!
  }

  type CommentConnection {
    edges: [CommentEdge!]!
    pageInfo: PageInfo!
  }

  type CommentEdge {
    cursor: String!
    node: Comment!
  }

  type Comment {
    id: ID!
    text: String!
    postedAt: DateTime!
  }

  type PageInfo @shareable {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  scalar DateTime

  type Query {
    recentComments(first: Int = 10): CommentConnection!
  }
`;

/** Two comments per task, paged by position; `first` cuts the page. */
function commentsOf(taskId: string, first: number) {
  const all = [1, 2].map((n) => ({
    cursor: `${taskId}:${n}`,
    node: { id: `${taskId}:${n}`, text: `comment ${n} on ${taskId}`, postedAt: '2026-01-01T00:00:00.000Z' },
  }));
  const edges = all.slice(0, first);
  return {
    edges,
    pageInfo: {
      hasNextPage: edges.length < all.length,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
const OUR_PAGE = `lipSyncTasks(first: 1) { ${PAGE_INFO} edges { cursor node { id status } } }`;
const ACROSS_BOTH = `{
  lipSyncTasks(first: 1) {
    ${PAGE_INFO}
    edges { cursor node { id status comments(first: 1) { ${PAGE_INFO} edges { node { text } } } } }
  }
}`;
const NEXT_PAGE = `query Next($after: String) { lipSyncTasks(first: 1, after: $after) { ${PAGE_INFO} edges { node { id } } } }`;

interface OurPage {
  lipSyncTasks: { pageInfo: object; edges: Array<{ cursor: string; node: { id: string } }> };
}

describe('composed with a Relay-shaped subgraph that has its own PageInfo and extends LipSyncTask', () => {
  let hints: string[];

  beforeAll(async () => {
    // A second task, so our first page of one has a next page.
    const created = await lipSync.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    if (!created.body.data) throw new Error(`createLipSync failed: ${JSON.stringify(created.body.errors)}`);
    comments = await startSubgraph({
      typeDefs: COMMENTS_SUBGRAPH_SDL,
      resolvers: {
        Query: { recentComments: () => commentsOf('none', 0) },
        LipSyncTask: {
          __resolveReference: ({ id }: { id: string }) => ({ id }),
          comments: ({ id }: { id: string }, { first }: { first: number }) => commentsOf(id, first),
        },
      },
    });
    const result = composeServices([
      { name: 'lipsync', url: lipSync.server.url, typeDefs: parse(sdl) },
      { name: 'comments', url: comments.url, typeDefs: COMMENTS_SUBGRAPH_SDL },
    ]);
    if (result.errors) throw new Error(`composition failed:\n${result.errors.map((e) => e.message).join('\n')}`);
    hints = result.hints.map((hint) => hint.toString());
    relayGateway = await startGateway(result.supergraphSdl);
  });

  it('composes without errors or INCONSISTENT_* hints', () => {
    expect(hints.filter((hint) => hint.includes('INCONSISTENT_'))).toEqual([]);
  });

  it('answers one query with our page (all four PageInfo fields) and their comments on each task', async () => {
    const direct = await lipSync.client.request<OurPage>(`{ ${OUR_PAGE} }`);
    expect(direct.body.errors).toBeUndefined();
    const ours = direct.body.data!.lipSyncTasks;
    const [{ cursor, node }] = ours.edges;
    const taskId = node.id;
    expect(ours.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: cursor,
      endCursor: cursor,
    });

    const { status, body } = await relayGateway.client.request(ACROSS_BOTH);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      lipSyncTasks: {
        pageInfo: ours.pageInfo,
        edges: [
          {
            cursor,
            node: {
              id: taskId,
              status: 'SUBMITTED',
              comments: {
                pageInfo: {
                  hasNextPage: true,
                  hasPreviousPage: false,
                  startCursor: `${taskId}:1`,
                  endCursor: `${taskId}:1`,
                },
                edges: [{ node: { text: `comment 1 on ${taskId}` } }],
              },
            },
          },
        ],
      },
    });
    expect(relayGateway.subgraphRequests.map((r) => r.subgraph)).toEqual(['lipsync', 'comments']);
  });

  it('pages on: the second page has no next page and starts after the first', async () => {
    const first = await relayGateway.client.request(`{ ${OUR_PAGE} }`);
    const after = first.body.data!.lipSyncTasks.pageInfo.endCursor as string;
    const { body } = await relayGateway.client.request(NEXT_PAGE, { after });
    expect(body.errors).toBeUndefined();
    const page = body.data!.lipSyncTasks;
    expect(page.edges).toHaveLength(1);
    expect(page.edges[0].node.id).not.toBe(first.body.data!.lipSyncTasks.edges[0].node.id);
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    expect(page.pageInfo.startCursor).toBe(page.pageInfo.endCursor);
  });

  it('an empty page has no cursors and no next page', async () => {
    const { body } = await relayGateway.client.request(
      `{ lipSyncTasks(status: FAILED) { ${PAGE_INFO} edges { cursor } } }`,
    );
    const pageInfo = { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null };
    expect(body).toEqual({ data: { lipSyncTasks: { pageInfo, edges: [] } } });
  });
});
