import { ADVANCED_MUTATION, IDENTIFY_MUTATION, VIDEO_URL, faceAudio } from '../support/advancedOperations';
import { createTestSchema, type TestSchema } from '../support/pgTestDatabase';
import { startTestServer, type TestServer } from '../support/testServer';
import { waitFor } from '../support/waitFor';

/** The advanced flow on PostgreSQL: face sessions and ADVANCED rows through the real server. */
describe('advanced lip-sync on PostgreSQL', () => {
  let schema: TestSchema;
  let t: TestServer;
  beforeAll(async () => {
    schema = await createTestSchema();
    t = await startTestServer({ env: { DATABASE_URL: schema.url, AUTH_TOKENS: 'a=token-a,b=token-b' } });
  });
  afterAll(async () => {
    await t?.close();
    await schema?.drop();
  });

  it('identifies, creates, follows to SUCCEEDED and lists by kind; another tenant cannot use the session', async () => {
    const a = t.client.withHeaders({ authorization: 'Bearer token-a' });
    const b = t.client.withHeaders({ authorization: 'Bearer token-b' });
    const identified = await a.request(IDENTIFY_MUTATION, { input: { videoUrl: VIDEO_URL } });
    const { sessionId } = identified.body.data!.identifyFaces as { sessionId: string };
    const input = { sessionId, faces: [faceAudio()] };

    const refused = await b.request(ADVANCED_MUTATION, { input });
    expect(refused.body.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      validationErrors: [{ field: 'sessionId' }],
    });
    const created = await a.request(ADVANCED_MUTATION, { input });
    const { id } = created.body.data!.createAdvancedLipSync as { id: string };
    const task = await waitFor(
      'the task to succeed',
      async () => {
        const res = await a.request(`query($id: ID!) { lipSyncTask(id: $id) { status kind mode face { id } } }`, {
          id,
        });
        const found = res.body.data?.lipSyncTask as { status: string } | null;
        return found?.status === 'SUCCEEDED' && found;
      },
      15_000,
      100,
    );
    expect(task).toEqual({ status: 'SUCCEEDED', kind: 'ADVANCED', mode: null, face: { id: 'face_1' } });
    const listed = await a.request(`{ lipSyncTasks(kind: ADVANCED) { edges { node { id } } } }`);
    expect(listed.body.data!.lipSyncTasks.edges).toEqual([{ node: { id } }]);
    const standard = await a.request(`{ lipSyncTasks(kind: STANDARD) { edges { node { id } } } }`);
    expect(standard.body.data!.lipSyncTasks.edges).toEqual([]);
  });
});
