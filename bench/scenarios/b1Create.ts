import type { Child } from '../children';
import { CLIENTS, createBody, createTask } from '../graphql';
import { measuredCannon, paced, type LoadRun } from '../load';
import { fixed, ratio, type ScenarioResult } from '../report';
import { type RunContext, sleep, startBare, startFake, startServer, stopAll, type ServerChild } from '../stack';

const CONNECTIONS = 50;
/** As a web app sends its creates (Apollo Client 4: graphql-response+json preferred, extensions.clientLibrary). */
const CLIENT = CLIENTS['Apollo Client 4'];
/**
 * Kling's own timing (docs/kling.md): a task leaves `submitted` after seconds and takes 3–7 minutes, so every task
 * created in the window stays live and its watcher polls as it would in a deployment (POLL_* at their defaults).
 */
const KLING_TIMING = { processingAfterMs: 10_000, succeedAfterMs: 180_000, succeedAfterMsMax: 420_000 };
/**
 * The floor run: the same creates with the store in memory (no file, no sync) and no polls, so what remains is the
 * HTTP, GraphQL, validation and service layers plus SQL in memory. No work on the store or the watchers can take a
 * create below it, which tells whether the throughput target is within their reach.
 */
const FLOOR_ENV = { DATABASE_URL: 'file::memory:', POLL_MIN_MS: '600000', POLL_MAX_MS: '600000' };

/**
 * B1: createLipSync throughput at 50 connections against a bare node:http proxy doing the same forward to a fake
 * upstream, then p99 at half the bare proxy's rate and at half the server's own rate, then once more with info-level logs,
 * and once without a durable store or polls (the floor: FLOOR_ENV).
 *
 * Each side runs alone, with a fake upstream of its own: the bare proxy first (its rate sets the half-load rate),
 * then the server. Sharing one fake made the bare proxy wait on a fake busy with the server's tens of thousands of
 * live tasks and their list sweeps, and a server left running behind the bare proxy's window took its CPU.
 */
export async function runB1(ctx: RunContext): Promise<ScenarioResult> {
  const warmupSeconds = ctx.seconds(3, 1);
  const seconds = ctx.seconds(20, 5);
  const latencySeconds = ctx.seconds(8, 3);
  let bareFake: Child | undefined;
  let fake: Child | undefined;
  let server: ServerChild | undefined;
  let bare: Child | undefined;
  let infoServer: ServerChild | undefined;
  let floorServer: ServerChild | undefined;
  try {
    const load = {
      connections: CONNECTIONS,
      seconds,
      warmupSeconds,
      body: () => createBody('b1', CLIENT),
      headers: CLIENT.headers,
    };
    const half = { ...load, seconds: latencySeconds };

    ({ bare, bareFake } = await startBareProxy(ctx, 'B1'));
    ctx.progress(`B1: bare proxy, ${CONNECTIONS} connections, ${warmupSeconds}+${seconds} s`);
    const bareRun = await measuredCannon('B1 bare proxy', bare, { ...load, origin: bare.origin });
    const rate = Math.max(1, Math.floor(bareRun.rps / 2));
    ctx.progress(
      `B1: p99 at ${rate} req/s (half the bare proxy), autocannon overallRate and paced, ${latencySeconds} s each`,
    );
    const bareHalf = await measuredCannon('B1 bare @½ bare (overallRate)', bare, {
      ...half,
      origin: bare.origin,
      overallRate: rate,
    });
    const barePaced = await paced('B1 bare @½ bare (paced)', bare, { ...half, origin: bare.origin, rate });
    await stopAll(bare, bareFake);
    bare = bareFake = undefined;

    fake = await startFake(ctx, 'B1', KLING_TIMING);
    server = await startServer(
      ctx,
      'B1',
      fake,
      {},
      ctx.options.cpuProf ? `B1-server-${Date.now()}.cpuprofile` : undefined,
    );
    await createTask(server.origin);
    ctx.progress(`B1: server, ${CONNECTIONS} connections, ${warmupSeconds}+${seconds} s`);
    const serverRun = await measuredCannon('B1 server createLipSync', server.child, {
      ...load,
      origin: server.origin,
      countCreatesAt: fake,
    });
    const forwarded = serverRun.upstreamCreates ?? 0;
    const serverHalf = await measuredCannon('B1 server @½ bare (overallRate)', server.child, {
      ...half,
      origin: server.origin,
      overallRate: rate,
    });
    const serverPaced = await paced('B1 server @½ bare (paced)', server.child, {
      ...half,
      origin: server.origin,
      rate,
    });
    // The rate above is out of reach when the server's capacity is under half the bare proxy's: latency where
    // both keep up is then measured at half the server's own rate (the bare proxy again, after the server).
    const ownRate = Math.max(1, Math.floor(serverRun.rps / 2));
    // The tasks of the runs above turn `processing` 10 s after their create, at the rate they were created: once
    // they have, the server's watchers carry only what this rate brings (each create's own change 10 s later).
    ctx.progress(`B1: p99 at ${ownRate} req/s (half the server's own rate), paced, server then bare proxy`);
    await sleep(KLING_TIMING.processingAfterMs + 2_000);
    const serverOwnPaced = await paced('B1 server @½ server (paced)', server.child, {
      ...half,
      origin: server.origin,
      rate: ownRate,
    });
    await stopAll(server);
    server = undefined;

    ctx.progress(`B1: server at LOG_LEVEL=info, ${warmupSeconds}+${ctx.seconds(10, 3)} s`);
    infoServer = await startServer(ctx, 'B1-info', fake, { LOG_LEVEL: 'info' });
    const infoRun = await measuredCannon('B1 server createLipSync, LOG_LEVEL=info', infoServer.child, {
      ...load,
      origin: infoServer.origin,
      warmupSeconds,
      seconds: ctx.seconds(10, 3),
    });

    await stopAll(infoServer);
    infoServer = undefined;

    ctx.progress(
      `B1: server with the store in memory and no polls (the floor), ${warmupSeconds}+${ctx.seconds(10, 3)} s`,
    );
    floorServer = await startServer(ctx, 'B1-floor', fake, FLOOR_ENV);
    const floorRun = await measuredCannon('B1 server, store in memory, no polls', floorServer.child, {
      ...load,
      origin: floorServer.origin,
      seconds: ctx.seconds(10, 3),
    });
    await stopAll(floorServer);
    floorServer = undefined;
    ({ bare, bareFake } = await startBareProxy(ctx, 'B1-again'));
    const bareOwnPaced = await paced('B1 bare @½ server (paced)', bare, {
      ...half,
      origin: bare.origin,
      rate: ownRate,
    });

    const throughput = ratio(serverRun.rps, bareRun.rps);
    const measured: Record<string, LoadRun> = {
      serverRun,
      bareRun,
      serverHalf,
      bareHalf,
      serverPaced,
      barePaced,
      serverOwnPaced,
      bareOwnPaced,
      infoRun,
      floorRun,
    };
    return {
      id: 'B1',
      runs: Object.values(measured),
      verdicts: [
        {
          scenario: 'B1 create throughput (50 conn)',
          measured:
            `${fixed(serverRun.rps, 0)} vs bare ${fixed(bareRun.rps, 0)} req/s = ${fixed(throughput, 2)}×; ` +
            `${fixed(serverRun.cpuPerRequestUs ?? NaN, 0)} vs ${fixed(bareRun.cpuPerRequestUs ?? NaN, 0)} µs/req`,
          target: '≥ 0.5× bare (stretch 0.75×)',
          // every answered create must have reached the upstream once (GraphQL errors come back as HTTP 200)
          pass:
            throughput >= 0.5 &&
            clean(serverRun) &&
            clean(bareRun) &&
            Math.abs(forwarded - serverRun.requests) <= 2 * CONNECTIONS,
        },
        {
          scenario: 'B1 server CPU per create (docs/performance.md, Anchors)',
          measured:
            `${fixed(serverRun.cpuPerRequestUs ?? NaN, 0)} µs/req; bare/server CPU = ` +
            `${fixed(ratio(bareRun.cpuPerRequestUs ?? NaN, serverRun.cpuPerRequestUs ?? NaN), 2)}`,
          target: '≤ 260 µs/req',
          pass: (serverRun.cpuPerRequestUs ?? Infinity) <= 260,
        },
        {
          scenario: `B1 p99 @ ${rate}/s, autocannon overallRate`,
          measured: `server p99 ${fixed(serverHalf.p99, 1)} ms vs bare ${fixed(bareHalf.p99, 1)} ms (${fixed(serverHalf.rps, 0)} / ${fixed(bareHalf.rps, 0)} req/s)`,
          target: '≤ bare p99 + 2 ms',
          pass: serverHalf.p99 <= bareHalf.p99 + 2 && clean(serverHalf) && clean(bareHalf),
        },
        {
          scenario: `B1 p99 @ ${rate}/s, evenly paced`,
          measured:
            `server p99 ${fixed(serverPaced.p99, 2)} ms vs bare ${fixed(barePaced.p99, 2)} ms (${fixed(serverPaced.rps, 0)} / ${fixed(barePaced.rps, 0)} req/s)` +
            (serverPaced.stoppedEarly || serverPaced.unfinished
              ? `; server fell behind: run stopped after ${fixed(serverPaced.seconds, 1)} s with ${serverPaced.unfinished} unanswered (p99 is a lower bound)`
              : ''),
          target: '≤ bare p99 + 2 ms',
          pass: serverPaced.p99 <= barePaced.p99 + 2 && clean(serverPaced) && clean(barePaced),
        },
        {
          scenario: `B1 event-loop delay p99 @ ${rate}/s, evenly paced`,
          measured:
            `server ${fixed(serverPaced.loopDelayP99Ms ?? NaN, 1)} ms (max ${fixed(serverPaced.loopDelayMaxMs ?? NaN, 1)}) vs bare ` +
            `${fixed(barePaced.loopDelayP99Ms ?? NaN, 1)} ms (max ${fixed(barePaced.loopDelayMaxMs ?? NaN, 1)}); at full load server ` +
            `${fixed(serverRun.loopDelayP99Ms ?? NaN, 1)} ms, bare ${fixed(bareRun.loopDelayP99Ms ?? NaN, 1)} ms`,
          target: '(information: monitorEventLoopDelay, 1 ms resolution)',
          pass: null,
        },
        {
          scenario: `B1 p99 @ ${ownRate}/s (half the server's own rate), evenly paced`,
          measured:
            `server p99 ${fixed(serverOwnPaced.p99, 2)} ms vs bare ${fixed(bareOwnPaced.p99, 2)} ms ` +
            `(${fixed(serverOwnPaced.rps, 0)} / ${fixed(bareOwnPaced.rps, 0)} req/s); event-loop delay p99 ` +
            `${fixed(serverOwnPaced.loopDelayP99Ms ?? NaN, 1)} vs ${fixed(bareOwnPaced.loopDelayP99Ms ?? NaN, 1)} ms` +
            (clean(serverOwnPaced) ? '' : '; server fell behind (p99 is a lower bound)'),
          target: '(information: the latency cost where both keep up)',
          pass: null,
        },
        {
          scenario: 'B1 create at LOG_LEVEL=info',
          measured: `${fixed(infoRun.rps, 0)} req/s = ${fixed(ratio(infoRun.rps, bareRun.rps), 2)}× bare; ${fixed(infoRun.cpuPerRequestUs ?? NaN, 0)} µs/req (warn: ${fixed(serverRun.cpuPerRequestUs ?? NaN, 0)})`,
          target: '(information)',
          pass: null,
        },
        {
          scenario: 'B1 floor: store in memory, no polls',
          measured:
            `${fixed(floorRun.rps, 0)} req/s = ${fixed(ratio(floorRun.rps, bareRun.rps), 2)}× bare; ` +
            `${fixed(floorRun.cpuPerRequestUs ?? NaN, 0)} µs/req (as deployed: ${fixed(serverRun.cpuPerRequestUs ?? NaN, 0)})`,
          target: '(information: the most any store or watcher work could reach)',
          pass: null,
        },
      ],
      data: {
        rate,
        ownRate,
        ...measured,
        throughputRatio: throughput,
        upstreamCreatesDuringServerRun: forwarded,
      },
      notes: [
        `B1: the fake upstream received ${forwarded} creates while the server answered ${serverRun.requests} in the measured window (≤ ${CONNECTIONS} in flight at each edge).`,
        `B1: requests as Apollo Client 4 sends them; tasks stay live (fake: processing at 10 s, done after 3–7 min) and watchers poll at their defaults; ` +
          `the fake answered ${serverRun.upstreamGets ?? 0} task reads and ${serverRun.upstreamLists ?? 0} list pages in the server's measured window. autocannon latencies have 1 ms resolution.`,
      ],
    };
  } finally {
    await stopAll(server, bare, infoServer, floorServer, fake, bareFake);
  }
}

/** The bare proxy with a fake upstream of its own, warmed by one create. */
async function startBareProxy(ctx: RunContext, name: string): Promise<{ bare: Child; bareFake: Child }> {
  const bareFake = await startFake(ctx, `${name}-bare`, KLING_TIMING);
  const bare = await startBare(ctx, name, {
    mode: 'proxy',
    upstreamUrl: bareFake.extra('url'),
    apiKey: bareFake.extra('apiKey'),
    maxSockets: 64,
  });
  await createTask(bare.origin);
  return { bare, bareFake };
}

/** Answered everything it was sent, without errors (a paced run that fell behind is not a latency figure). */
function clean(run: LoadRun): boolean {
  return run.errors === 0 && run.non2xx === 0 && run.requests > 0 && !run.unfinished && !run.stoppedEarly;
}
