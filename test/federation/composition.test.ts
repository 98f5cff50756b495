import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { fetchSubgraphSdl, startGateway, startVideosSubgraph, VIDEOS_SUBGRAPH_SDL, type RunningGateway, type RunningGraph } from '../support/federation';
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
let taskId: string;
let sdl: string;

beforeAll(async () => {
  // Slow upstream progression: the task stays SUBMITTED for the whole file, so answers are exact.
  lipSync = await startTestServer({ fake: { processingAfterMs: 60_000, succeedAfterMs: 120_000 } });
  const created = await lipSync.client.request<{ createLipSync: { id: string } }>(CREATE_MUTATION, { input: TEXT_INPUT });
  if (!created.body.data) throw new Error(`createLipSync failed: ${JSON.stringify(created.body.errors)}`);
  taskId = created.body.data.createLipSync.id;
  videos = await startVideosSubgraph((videoId) => (videoId === 'v1' ? [taskId] : []));
  sdl = await fetchSubgraphSdl(lipSync.client);
});

afterAll(async () => {
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
