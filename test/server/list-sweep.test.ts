import { ADVANCED_MUTATION, IDENTIFY_MUTATION, VIDEO_URL, faceAudio } from '../support/advancedOperations';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

/** Enough tasks for the watcher to poll them through Kling's list (src/services/TaskListSweep.ts). */
const TASKS = 24;
const SUBSCRIPTION = /* GraphQL */ `
  subscription Follow($id: ID!) { lipSyncTaskUpdated(id: $id) { id status videos { url } } }
`;

type Event = { data?: { lipSyncTaskUpdated: { id: string; status: string; videos: { url: string }[] } } | null };

/**
 * Polls of many followed tasks share list pages: one GET /v1/videos/lip-sync?pageNum&pageSize answers for all of
 * them, and every change still reaches the subscribers; a task the list does not show is still followed by GETs.
 * POLL_MIN_MS 400 / POLL_MAX_MS 800: without the list each task would be read about five times in its 3 s.
 */
describe('following many tasks through the upstream list', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      fake: { processingAfterMs: 1_500, succeedAfterMs: 3_000 },
      env: { POLL_MIN_MS: '400', POLL_MAX_MS: '800' },
    });
  });
  afterAll(() => t.close());
  beforeEach(() => {
    t.fake.requests.length = 0;
    t.fake.setListVisibilityDelay(0);
  });

  async function createStandard(i: number): Promise<string> {
    const res = await t.client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, text: `Hello number ${i}` } });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.createLipSync.id as string;
  }

  async function createAndFollow(create: (i: number) => Promise<string> = createStandard): Promise<Event[][]> {
    const ids = await Promise.all(Array.from({ length: TASKS }, (_, i) => create(i)));
    const clients = [t.client.ws(), t.client.ws()];
    try {
      return await Promise.all(
        ids.map((id, i) => t.client.subscribeAll(clients[i % 2], SUBSCRIPTION, { id }) as Promise<Event[]>),
      );
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  }

  const reads = (endpoint: 'get' | 'list' | 'advanced_get' | 'advanced_list') =>
    t.fake.requests.filter((r) => r.endpoint === endpoint).length;

  function expectEveryChangeSeen(streams: Event[][]): void {
    const ORDER = ['SUBMITTED', 'PROCESSING', 'SUCCEEDED'];
    for (const events of streams) {
      const statuses = events.map((e) => e.data!.lipSyncTaskUpdated.status);
      expect(statuses).toEqual(ORDER);
      expect(events.at(-1)!.data!.lipSyncTaskUpdated.videos[0].url).toMatch(/^https:\/\/.+\.mp4$/);
    }
  }

  it('reads many followed tasks with far fewer upstream requests than one per task, and every change arrives', async () => {
    const streams = await createAndFollow();
    expectEveryChangeSeen(streams);
    expect(reads('list')).toBeGreaterThan(0);
    // One read per task over its whole life would already be five times fewer than polling each task alone.
    expect(reads('get') + reads('list')).toBeLessThan(TASKS);
  });

  it('still follows tasks the list does not show (Kling’s list lags its create): they are asked for one by one', async () => {
    t.fake.setListVisibilityDelay(60_000);
    const streams = await createAndFollow();
    expectEveryChangeSeen(streams);
    expect(reads('list')).toBeGreaterThan(0);
    expect(reads('get')).toBeGreaterThanOrEqual(TASKS);
  });

  it('sweeps ADVANCED tasks through their own list (/v1/videos/advanced-lip-sync), never the standard one', async () => {
    const identified = await t.client.request(IDENTIFY_MUTATION, { input: { videoUrl: VIDEO_URL } });
    const sessionId = identified.body.data!.identifyFaces.sessionId as string;
    const streams = await createAndFollow(async () => {
      const res = await t.client.request(ADVANCED_MUTATION, { input: { sessionId, faces: [faceAudio()] } });
      expect(res.body.errors).toBeUndefined();
      return res.body.data!.createAdvancedLipSync.id as string;
    });
    expectEveryChangeSeen(streams);
    expect(reads('advanced_list')).toBeGreaterThan(0);
    expect(reads('list') + reads('get')).toBe(0);
    expect(reads('advanced_get') + reads('advanced_list')).toBeLessThan(TASKS);
  });
});
