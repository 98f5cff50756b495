import { performance } from 'node:perf_hooks';
import { clientAgent, createTask, createTasks } from '../graphql';
import { cpuMicros } from '../protocol';
import { fixed, type ScenarioResult, type Verdict } from '../report';
import { NEVER_MS, type RunContext, startFake, startServer, stopAll, type ServerChild } from '../stack';

const LATENCY_MS = 200;
const CREATES = 200;
const WARM_UP_CREATES = 1_000;

interface PassthroughRun {
  maxSockets: number;
  totalMs: number;
  /** LATENCY_MS × ⌈CREATES / maxSockets⌉: the time if the socket cap is the only limit */
  idealMs: number;
  maxInFlightAtFake: number;
  /** first to last create arriving at the fake: how long the server took to pass the burst on */
  arrivalSpreadMs: number;
  /** server CPU time for the burst, ms */
  serverCpuMs: number;
  failed: number;
}

/**
 * B6: with a 200 ms upstream, 200 concurrent creates should take 200 ms per wave of `KLING_MAX_SOCKETS`, and the
 * fake should see that many requests at once: anything slower is serialisation somewhere in the path.
 */
export async function runB6(ctx: RunContext): Promise<ScenarioResult> {
  const fake = await startFake(ctx, 'B6', {
    latencyMs: LATENCY_MS,
    processingAfterMs: NEVER_MS,
    succeedAfterMs: NEVER_MS,
  });
  const runs: PassthroughRun[] = [];
  try {
    for (const maxSockets of [64, 256]) {
      ctx.progress(
        `B6: ${CREATES} concurrent creates, upstream latency ${LATENCY_MS} ms, KLING_MAX_SOCKETS=${maxSockets}`,
      );
      runs.push(await burst(ctx, fake, maxSockets));
    }
  } finally {
    await stopAll(fake);
  }
  const verdicts: Verdict[] = runs.map((run) => {
    const expectedConcurrency = Math.min(CREATES, run.maxSockets);
    return {
      scenario: `B6 passthrough, KLING_MAX_SOCKETS=${run.maxSockets}`,
      measured:
        `${fixed(run.totalMs, 0)} ms for ${CREATES} creates (ideal ${run.idealMs}); max ${run.maxInFlightAtFake} in flight at the fake; ` +
        `arrivals spread over ${fixed(run.arrivalSpreadMs, 0)} ms; server CPU ${fixed(run.serverCpuMs, 0)} ms`,
      target: `< ideal + one ${LATENCY_MS} ms wave; ${expectedConcurrency} in flight`,
      pass: run.failed === 0 && run.totalMs < run.idealMs + LATENCY_MS && run.maxInFlightAtFake >= expectedConcurrency,
    };
  });
  return { id: 'B6', runs: [], verdicts, data: { runs }, notes: [] };
}

async function burst(
  ctx: RunContext,
  fake: Awaited<ReturnType<typeof startFake>>,
  maxSockets: number,
): Promise<PassthroughRun> {
  let server: ServerChild | undefined;
  try {
    server = await startServer(ctx, `B6-${maxSockets}`, fake, {
      KLING_MAX_SOCKETS: String(maxSockets),
      POLL_MIN_MS: '600000',
      POLL_MAX_MS: '600000',
    });
    // Enough creates for V8 to optimise the path, as in a server that has been up a while: after a handful the
    // burst ran on cold code and its CPU, not serialisation, took the margin (docs/performance.md, section 11).
    await createTasks(server.origin, WARM_UP_CREATES, 64);
    await fake.resetStats();
    const cpuBefore = cpuMicros(await server.child.usage());
    const agent = clientAgent();
    const origin = server.origin;
    const started = performance.now();
    const outcomes = await Promise.allSettled(Array.from({ length: CREATES }, () => createTask(origin, agent, 'b6')));
    const totalMs = performance.now() - started;
    agent.destroy();
    const stats = (await fake.usage()).stats;
    const serverCpuMs = (cpuMicros(await server.child.usage()) - cpuBefore) / 1000;
    return {
      maxSockets,
      totalMs,
      idealMs: LATENCY_MS * Math.ceil(CREATES / maxSockets),
      maxInFlightAtFake: stats.maxInFlight,
      arrivalSpreadMs: stats.arrivalSpreadMs,
      serverCpuMs,
      failed: outcomes.filter((o) => o.status === 'rejected').length,
    };
  } finally {
    await stopAll(server);
  }
}
