import type { Child } from '../children';
import { CLIENTS, type ClientName, createTask, post, taskBody } from '../graphql';
import { cannon, measuredCannon, type LoadRun } from '../load';
import { fixed, ratio, type ScenarioResult } from '../report';
import { type RunContext, sleep, startBare, startFake, startServer, stopAll, type ServerChild } from '../stack';

const CONNECTIONS = 50;

/**
 * B2: lipSyncTask(id) of a finished task (answered from the store / the server's finished-task cache) against a
 * bare node:http server reading the same row from the same SQLite file with the same query — once with each
 * mainstream client's own request headers and body shape (bench/graphql.ts CLIENTS).
 */
export async function runB2(ctx: RunContext): Promise<ScenarioResult> {
  const warmupSeconds = ctx.seconds(3, 1);
  const seconds = ctx.seconds(10, 5);
  const clientSeconds = ctx.seconds(6, 3);
  const fake = await startFake(ctx, 'B2', { processingAfterMs: 20, succeedAfterMs: 50 });
  let server: ServerChild | undefined;
  let bare: Child | undefined;
  try {
    server = await startServer(
      ctx,
      'B2',
      fake,
      { POLL_MIN_MS: '50', POLL_MAX_MS: '100', TASK_FRESHNESS_MS: '1' },
      ctx.options.cpuProf ? `B2-server-${Date.now()}.cpuprofile` : undefined,
    );
    const id = await createTask(server.origin);
    const serverAnswer = await waitForSucceeded(server.origin, id);
    bare = await startBare(ctx, 'B2', { mode: 'reader', databaseFile: server.databaseFile });
    const bareAnswer = await post(bare.origin, taskBody(id));
    const sameJson = JSON.stringify(bareAnswer.body) === JSON.stringify(serverAnswer);

    const body = taskBody(id);
    const clientRuns: Array<[ClientName, LoadRun]> = [];
    // One warm-up for the server as a whole (JIT, caches, heap growth) before any client's: otherwise whichever
    // client runs first pays it (measured: the first client's µs/req 10–15 % above the others').
    await cannon({ origin: server.origin, connections: CONNECTIONS, seconds: warmupSeconds * 2, body });
    for (const name of Object.keys(CLIENTS) as ClientName[]) {
      ctx.progress(`B2: server, as ${name}, ${CONNECTIONS} connections, ${warmupSeconds}+${clientSeconds} s`);
      const client = CLIENTS[name];
      const run = await measuredCannon(`B2 server lipSyncTask (finished), ${name}`, server.child, {
        origin: server.origin,
        connections: CONNECTIONS,
        seconds: clientSeconds,
        warmupSeconds,
        body: taskBody(id, client),
        headers: client.headers,
      });
      clientRuns.push([name, run]);
    }
    const serverRun = clientRuns.find(([name]) => name === 'curl')![1];
    ctx.progress(`B2: bare reader, ${CONNECTIONS} connections, ${warmupSeconds}+${seconds} s`);
    const bareRun = await measuredCannon('B2 bare reader (SQLite)', bare, {
      origin: bare.origin,
      connections: CONNECTIONS,
      seconds,
      warmupSeconds,
      body,
    });
    const after = await post(server.origin, body);
    const stillRight = JSON.stringify(after.body) === JSON.stringify(serverAnswer);
    const throughput = ratio(serverRun.rps, bareRun.rps);
    return {
      id: 'B2',
      runs: [...clientRuns.map(([, run]) => run), bareRun],
      verdicts: [
        ...clientRuns.map(([name, run]) => ({
          scenario: `B2 read, ${name}'s request`,
          measured:
            `${fixed(run.rps, 0)} req/s = ${fixed(ratio(run.rps, bareRun.rps), 2)}× bare; ${fixed(run.cpuPerRequestUs ?? NaN, 0)} vs ` +
            `${fixed(bareRun.cpuPerRequestUs ?? NaN, 0)} µs/req (CPU ratio ${fixed(ratio(bareRun.cpuPerRequestUs ?? NaN, run.cpuPerRequestUs ?? NaN), 2)})`,
          target: '≥ 0.5× bare',
          pass: ratio(run.rps, bareRun.rps) >= 0.5 && run.errors + run.non2xx === 0,
        })),
        {
          scenario: 'B2 read throughput (finished task)',
          measured:
            `${fixed(serverRun.rps, 0)} vs bare ${fixed(bareRun.rps, 0)} req/s = ${fixed(throughput, 2)}×; ` +
            `${fixed(serverRun.cpuPerRequestUs ?? NaN, 0)} vs ${fixed(bareRun.cpuPerRequestUs ?? NaN, 0)} µs/req ` +
            `(CPU ratio ${fixed(ratio(bareRun.cpuPerRequestUs ?? NaN, serverRun.cpuPerRequestUs ?? NaN), 2)}); ` +
            `p99 ${fixed(serverRun.p99, 0)} vs ${fixed(bareRun.p99, 0)} ms; same JSON: ${sameJson ? 'yes' : 'NO'}`,
          target: '≥ 0.5× bare',
          pass:
            throughput >= 0.5 &&
            sameJson &&
            stillRight &&
            serverRun.errors + serverRun.non2xx + bareRun.errors + bareRun.non2xx === 0,
        },
      ],
      data: {
        taskId: id,
        clientRuns: Object.fromEntries(clientRuns),
        bareRun,
        throughputRatio: throughput,
        sameJson,
        answer: serverAnswer,
        bareAnswer: bareAnswer.body,
      },
      notes: sameJson
        ? []
        : [
            `B2: bare and server answers differ:\n  server ${JSON.stringify(serverAnswer)}\n  bare   ${bareAnswer.text}`,
          ],
    };
  } finally {
    await stopAll(server, bare, fake);
  }
}

/** Reads the task until the server reports it SUCCEEDED (the read path refreshes a stale live task). */
async function waitForSucceeded(origin: string, id: string): Promise<unknown> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await post(origin, taskBody(id));
    if (answer.body.errors) throw new Error(`lipSyncTask failed: ${answer.text}`);
    if (answer.body.data?.lipSyncTask?.status === 'SUCCEEDED') return answer.body;
    if (Date.now() > deadline) throw new Error(`task ${id} not SUCCEEDED after 10 s: ${answer.text}`);
    await sleep(50);
  }
}
