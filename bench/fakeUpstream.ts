/**
 * The fake Kling (test/support/fakeKling.ts) in its own process, so its CPU is not the server's. It also
 * counts requests in flight, for B6's "observed concurrency at the upstream".
 */
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startFakeKling, type FakeKlingOptions } from '../test/support/fakeKling';
import { serveIpc } from './childRuntime';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as FakeKlingOptions;
  const fake = await startFakeKling({ ...options, recordRequests: false });
  let inFlight = 0;
  let maxInFlight = 0;
  /** arrival times (ms, monotonic) of the first and last request since the last resetStats */
  let firstArrival = -1;
  let lastArrival = -1;
  // FakeKling keeps its http.Server private and has no in-flight count yet; listening to the same server's
  // 'request' event is read-only and costs two counter updates a request.
  const server = (fake as unknown as { server: http.Server }).server;
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    lastArrival = performance.now();
    if (firstArrival < 0) firstArrival = lastArrival;
    res.once('close', () => inFlight--);
  });
  if (fake.auth.kind !== 'apiKey') throw new Error('bench fake: expected a static API key');
  serveIpc(
    { type: 'ready', origin: new URL(fake.url).origin, extra: { url: fake.url, apiKey: fake.auth.apiKey } },
    {
      stats: () => ({
        create: fake.count('create'),
        get: fake.count('get'),
        list: fake.count('list'),
        inFlight,
        maxInFlight,
        arrivalSpreadMs: firstArrival < 0 ? 0 : lastArrival - firstArrival,
      }),
      resetStats: () => {
        maxInFlight = inFlight;
        firstArrival = lastArrival = -1;
      },
      stop: () => fake.close(),
    },
  );
}

main().catch((error: unknown) => {
  console.error('bench fake upstream: failed to start:', error);
  process.exit(1);
});
