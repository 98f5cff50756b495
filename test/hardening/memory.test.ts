import path from 'node:path';
import fs from 'node:fs';
import { childEnv, freePort, makeTempDir, startChildServer, waitFor, type ChildServer } from '../support/childServer';
import { WireSocket } from './websocketWire';

/**
 * Issue 11, item 1: memory is bounded whatever anyone sends. The real entry point runs as a child with a small
 * heap; thousands of distinct large invalid operations go at it unauthenticated and authenticated, over HTTP
 * and WebSocket, and its heap after a full GC may grow by at most HEAP_GROWTH_BOUND.
 *
 * The heap is the child's own, read after a forced GC: a preloaded snippet (below) answers SIGUSR2 with
 * `global.gc()` twice and one `HEAP_USED <bytes>` line on stdout, so the jest process never pollutes the figure.
 */
const HEAP_GROWTH_BOUND = 64 * 1024 * 1024;
/** small enough that the retention issue 11 measured (733 MB) would kill the child rather than pass */
const HEAP_LIMIT_MB = 256;
/** distinct operations per lane */
const COUNT = 1000;
/** over the 64 KB caching limit: on the old code each of these was kept, in two caches */
const LARGE = 80_000;
/** under the caching limit: valid ones are kept, within the cache's byte budget */
const CACHEABLE = 40_000;
const HUGE = 7 * 1024 * 1024;
const CONCURRENCY = 8;
const HUGE_COUNT = 4;
const TOKEN = 'tok-memory-acme';

const GC_ON_SIGNAL = `process.on('SIGUSR2', () => { globalThis.gc(); globalThis.gc(); process.stdout.write('HEAP_USED ' + process.memoryUsage().heapUsed + '\\n'); });`;

/** distinct by its first line; the padding is a comment, so the parser scans it without counting tokens */
const padded = (head: string, i: number, size: number) => `${head}\n# ${i} ${'x'.repeat(size)}`;
/** parses, then fails validation (an unknown field) */
const invalid = (i: number, size = LARGE) => padded(`{ unknownField${i} }`, i, size);
/** does not even parse */
const unparsable = (i: number, size = LARGE) => padded(`{ voices { id } `, i, size);
const valid = (i: number, size = CACHEABLE) => padded('{ voices { id } }', i, size);

describe('memory under hostile clients (issue 11, item 1)', () => {
  let server: ChildServer;
  let dir: string;
  const figures: string[] = [];

  beforeAll(async () => {
    dir = makeTempDir('lipsync-memory-');
    server = await startChildServer({
      port: await freePort(),
      env: childEnv(null, path.join(dir, 'lipsync.db'), {
        AUTH_TOKENS: `acme=${TOKEN}`,
        NODE_OPTIONS: `--expose-gc --max-old-space-size=${HEAP_LIMIT_MB} --import data:text/javascript,${encodeURIComponent(GC_ON_SIGNAL)}`,
      }),
    });
  }, 60_000);

  afterAll(async () => {
    console.log(`heap after a full GC, ${COUNT} distinct operations per lane:\n${figures.join('\n')}`);
    await server?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function heapUsed(): Promise<number> {
    const lines = () => server.stdout().match(/^HEAP_USED \d+$/gm) ?? [];
    const seen = lines().length;
    server.send('SIGUSR2');
    const line = await waitFor('the heap figure', () => lines().length > seen && lines()[seen], 15_000);
    return Number(line.split(' ')[1]);
  }

  const post = (query: string, authorization?: string) =>
    fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ query }),
    }).then(async (res) => {
      await res.arrayBuffer();
      return res.status;
    });

  /** Runs `count` requests, `CONCURRENCY` at a time; resolves with how many answered each status. */
  async function flood(count: number, send: (i: number) => Promise<number>): Promise<Record<number, number>> {
    const statuses: Record<number, number> = {};
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const status = await send(next++);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }),
    );
    return statuses;
  }

  async function stillAnswers(): Promise<void> {
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query: '{ voices { id } }' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { voices: unknown[] } }).data.voices.length).toBeGreaterThan(0);
  }

  let baseline = 0;
  const grewBy = async (lane: string): Promise<number> => {
    const growth = (await heapUsed()) - baseline;
    figures.push(`  ${lane}: ${(growth / 1024 / 1024).toFixed(1)} MB above the baseline`);
    return growth;
  };

  it('measures a baseline after warming up every path', async () => {
    for (let i = 0; i < 20; i++) {
      await post('{ voices { id } }', `Bearer ${TOKEN}`);
      await post(`{ unknownField${i} }`, `Bearer ${TOKEN}`);
      await post('{ voices { id } }');
    }
    const wire = await WireSocket.open(server.wsUrl);
    await wire.init({ authorization: `Bearer ${TOKEN}` });
    wire.subscribe('1', '{ voices { id } }');
    wire.subscribe('2', '{ unknownField }');
    await wire.until(
      () => wire.received.filter((m) => m.type === 'complete' || m.type === 'error').length === 2,
      'two answers',
    );
    wire.close();
    baseline = await heapUsed();
    figures.push(`  baseline: ${(baseline / 1024 / 1024).toFixed(1)} MB`);
  });

  it('HTTP without a valid token: all refused 401, nothing kept', async () => {
    const statuses = await flood(COUNT, (i) =>
      post(i % 2 ? invalid(i) : unparsable(i), i % 3 ? `Bearer wrong-${i}` : undefined),
    );
    const huge = await flood(HUGE_COUNT, (i) => post(invalid(i, HUGE)));
    expect(statuses).toEqual({ 401: COUNT });
    expect(huge).toEqual({ 401: HUGE_COUNT });
    expect(await grewBy('HTTP, unauthenticated')).toBeLessThan(HEAP_GROWTH_BOUND);
    await stillAnswers();
  }, 120_000);

  it('HTTP with a valid token: invalid operations refused 400 and forgotten, valid ones kept within the cache budget', async () => {
    const auth = `Bearer ${TOKEN}`;
    const statuses = await flood(COUNT, (i) => post(i % 2 ? invalid(i) : unparsable(i), auth));
    const cacheableInvalid = await flood(COUNT / 2, (i) => post(invalid(COUNT + i, CACHEABLE), auth));
    const cacheableValid = await flood(COUNT / 4, (i) => post(valid(i), auth));
    const huge = await flood(HUGE_COUNT, (i) => post(invalid(i, HUGE), auth));
    expect(statuses).toEqual({ 400: COUNT });
    expect(cacheableInvalid).toEqual({ 400: COUNT / 2 });
    expect(cacheableValid).toEqual({ 200: COUNT / 4 });
    expect(huge).toEqual({ 400: HUGE_COUNT });
    expect(await grewBy('+ HTTP, authenticated')).toBeLessThan(HEAP_GROWTH_BOUND);
    await stillAnswers();
  }, 120_000);

  it('WebSocket: bad tokens closed 4403; invalid operations answered with errors and forgotten', async () => {
    const refused = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        if (i % 2) {
          const wire = await WireSocket.open(server.wsUrl, { authorization: `Bearer wrong-${i}` });
          return (await wire.closed).code;
        }
        const wire = await WireSocket.open(server.wsUrl);
        wire.send({ type: 'connection_init', payload: { authorization: `Bearer wrong-${i}`, pad: invalid(i) } });
        return (await wire.closed).code;
      }),
    );
    expect(new Set(refused)).toEqual(new Set([4403]));

    const sockets = await Promise.all(Array.from({ length: CONCURRENCY }, () => WireSocket.open(server.wsUrl)));
    await Promise.all(sockets.map((wire) => wire.init({ authorization: `Bearer ${TOKEN}` })));
    const errors = (wire: WireSocket) => wire.received.filter((m) => m.type === 'error').length;
    await Promise.all(
      sockets.map(async (wire, s) => {
        for (let n = 0; n < COUNT / CONCURRENCY; n++) {
          const i = s * COUNT + n;
          wire.subscribe(String(i), n % 3 === 0 ? invalid(i, CACHEABLE) : n % 3 === 1 ? invalid(i) : unparsable(i));
          // a few in flight per socket: the server answers each with an error
          if (n % 10 === 9) await wire.until(() => errors(wire) === n + 1, 'the errors so far');
        }
        await wire.until(() => errors(wire) === COUNT / CONCURRENCY, 'every error');
      }),
    );
    for (const wire of sockets) wire.close();
    expect(await grewBy('+ WebSocket')).toBeLessThan(HEAP_GROWTH_BOUND);
    await stillAnswers();
  }, 120_000);
});
