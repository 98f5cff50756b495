import net from 'node:net';
import type { Client } from 'graphql-ws';
import { clientAgent, createTask, disposeClients, openSubscriptionClients } from '../graphql';
import { fixed, type ScenarioResult, type Verdict } from '../report';
import { type RunContext, sleep, startFake, startServer, stopAll, type ServerChild } from '../stack';

/** 1 minute of a real Kling task = 1 second here; every time the server is configured with is scaled alike. */
const COMPRESSION = 60;
const scaled = (realMs: number) => String(Math.max(1, Math.round(realMs / COMPRESSION)));
/** Kling (docs/kling.md): seconds in `submitted`, 3–7 minutes in all. */
const FAKE = {
  processingAfterMs: Math.round(10_000 / COMPRESSION),
  succeedAfterMs: 180_000 / COMPRESSION,
  succeedAfterMsMax: 420_000 / COMPRESSION,
};
const WARMUP_TASKS = 100;
const TASKS = 1_000;
/** creates per second (compressed): 1,000 tasks over 10 s = 100 new tasks a minute for 10 minutes */
const CREATE_RATE = 100;
const SUBSCRIPTION_SOCKETS = 50;
const STATUS_UPDATE = 'subscription Watch($id: ID!) { lipSyncTaskUpdated(id: $id) { id status createdAt updatedAt } }';

/**
 * The server's timing, scaled. POLL_MAX_MS is the one choice: 3 real minutes, the shortest Kling task, so the
 * adaptive schedule (src/services/TaskWatcher.ts) may wait from the first look to the first likely finish; with
 * the default 15 s cap a 3–7 minute task costs at least 12 polls before it can possibly be done.
 */
const SERVER_TIMING = {
  POLL_MIN_MS: scaled(1_000),
  POLL_MAX_MS: scaled(180_000),
  TASK_FRESHNESS_MS: scaled(2_000),
  CALLBACK_SAFETY_POLL_MS: scaled(60_000),
  CALLBACK_DEBOUNCE_MS: scaled(5_000),
};

interface JobRun {
  label: string;
  tasks: number;
  finished: number;
  getsPerTask: number;
  /** list pages (the watcher's sweeps) per finished task; a page is one upstream request like a GET */
  listsPerTask: number;
  /** detection lag / task duration, median and p90 over tasks */
  medianLagShare: number;
  p90LagShare: number;
  medianLagMs: number;
  callbacks: boolean;
}

/**
 * B7: upstream reads per finished job and how late subscribers hear of the finish, for 1,000 tasks whose durations
 * spread over 3–7 minutes (time-compressed), one subscriber each: without callbacks (adaptive polling) and with
 * PUBLIC_URL callbacks from the fake. A warm-up of 100 tasks first gives the server its history (not counted).
 */
export async function runB7(ctx: RunContext): Promise<ScenarioResult> {
  const polled = await jobs(ctx, false);
  const called = await jobs(ctx, true);
  const verdicts: Verdict[] = [polled, called].flatMap((run) => [
    {
      scenario: `B7 upstream reads (GETs + list pages) per finished task, ${run.label}`,
      measured:
        `${fixed(run.getsPerTask + run.listsPerTask, 2)}: ${fixed(run.getsPerTask, 2)} GETs + ${fixed(run.listsPerTask, 2)} list pages ` +
        `(${run.finished}/${run.tasks} finished and seen by their subscriber)`,
      target: run.callbacks ? '≤ 2 (backoff: about 25)' : '≤ 8 (backoff: about 25)',
      pass: run.finished === run.tasks && run.getsPerTask + run.listsPerTask <= (run.callbacks ? 2 : 8),
    },
    {
      scenario: `B7 detection lag, ${run.label}`,
      measured: `median ${fixed(run.medianLagShare * 100, 1)} % of the task's duration (${fixed((run.medianLagMs * COMPRESSION) / 1000, 1)} s real), p90 ${fixed(run.p90LagShare * 100, 1)} %`,
      target: 'median ≤ 5 %',
      pass: run.medianLagShare <= 0.05,
    },
  ]);
  return {
    id: 'B7',
    runs: [],
    verdicts,
    data: { compression: COMPRESSION, fake: FAKE, server: SERVER_TIMING, polled, called },
    notes: [
      `B7: time compressed ${COMPRESSION}× (1 min = 1 s): fake tasks leave submitted at ${FAKE.processingAfterMs} ms and finish 3–7 s after creation; ` +
        `server ${Object.entries(SERVER_TIMING)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')} (real: POLL_MAX_MS 3 min). ` +
        `${WARMUP_TASKS} warm-up tasks first, then ${TASKS} at ${CREATE_RATE}/s, each with its own subscription.`,
    ],
  };
}

async function jobs(ctx: RunContext, callbacks: boolean): Promise<JobRun> {
  const label = callbacks ? 'PUBLIC_URL callbacks' : 'polling only';
  const fake = await startFake(ctx, `B7-${callbacks ? 'cb' : 'poll'}`, { ...FAKE, sendCallbacks: callbacks });
  let server: ServerChild | undefined;
  let clients: Client[] = [];
  try {
    const port = callbacks ? await freePort() : 0;
    server = await startServer(ctx, `B7-${callbacks ? 'cb' : 'poll'}`, fake, {
      ...SERVER_TIMING,
      ...(callbacks ? { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` } : {}),
    });
    clients = await openSubscriptionClients(server.wsUrl, SUBSCRIPTION_SOCKETS);
    ctx.progress(`B7 (${label}): ${WARMUP_TASKS} warm-up tasks`);
    await wave(server, clients, WARMUP_TASKS);
    const before = (await fake.usage()).stats;
    ctx.progress(`B7 (${label}): ${TASKS} tasks at ${CREATE_RATE}/s, a subscriber each`);
    const seen = await wave(server, clients, TASKS);
    const after = (await fake.usage()).stats;
    const gets = after.get - before.get;
    const shares = seen.map((s) => s.lagMs / s.durationMs).sort((a, b) => a - b);
    const lags = seen.map((s) => s.lagMs).sort((a, b) => a - b);
    return {
      label,
      tasks: TASKS,
      finished: seen.length,
      getsPerTask: gets / TASKS,
      listsPerTask: (after.list - before.list) / TASKS,
      medianLagShare: quantile(shares, 0.5),
      p90LagShare: quantile(shares, 0.9),
      medianLagMs: quantile(lags, 0.5),
      callbacks,
    };
  } finally {
    await disposeClients(clients);
    await stopAll(server, fake);
  }
}

interface Finish {
  lagMs: number;
  durationMs: number;
}

/**
 * Creates `count` tasks at CREATE_RATE, subscribes to each at once, and waits for every one to finish. The lag
 * is when the subscriber heard SUCCEEDED minus when the fake finished the task (its updatedAt, same clock).
 */
async function wave(server: ServerChild, clients: Client[], count: number): Promise<Finish[]> {
  const agent = clientAgent();
  const finishes: Array<Promise<Finish | null>> = [];
  const start = Date.now();
  try {
    for (let i = 0; i < count; i++) {
      const due = start + (i * 1000) / CREATE_RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      const id = await createTask(server.origin, agent, 'b7');
      finishes.push(finished(clients[i % clients.length], id));
    }
    return (await Promise.all(finishes)).filter((f): f is Finish => f !== null);
  } finally {
    agent.destroy();
  }
}

function finished(client: Client, id: string): Promise<Finish | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      unsubscribe();
      resolve(null);
    }, 30_000);
    const unsubscribe = client.subscribe<{
      lipSyncTaskUpdated: { status: string; createdAt: string; updatedAt: string };
    }>(
      { query: STATUS_UPDATE, variables: { id } },
      {
        next: ({ data }) => {
          const task = data?.lipSyncTaskUpdated;
          if (task?.status !== 'SUCCEEDED') return;
          clearTimeout(timer);
          const doneAt = Date.parse(task.updatedAt);
          resolve({ lagMs: Date.now() - doneAt, durationMs: doneAt - Date.parse(task.createdAt) });
        },
        error: () => resolve(null),
        complete: () => undefined,
      },
    );
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
