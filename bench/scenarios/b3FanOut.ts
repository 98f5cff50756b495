import { performance } from 'node:perf_hooks';
import type { Client } from 'graphql-ws';
import type { Child } from '../children';
import { WATCH, createTasks, disposeClients, openSubscriptionClients } from '../graphql';
import { fixed, type ScenarioResult } from '../report';
import { type RunContext, startFake, startServer, stopAll, type ServerChild } from '../stack';

const TASKS = 10;
const EXPECTED = ['SUBMITTED', 'PROCESSING', 'SUCCEEDED'];

interface FanOutRun {
  subscribersPerTask: number;
  subscribers: number;
  /** polls the fake upstream saw from the first create to the last completion (GETs and list pages) */
  polls: number;
  pollsPerTask: number;
  /** subscribers that saw exactly SUBMITTED → PROCESSING → SUCCEEDED, then completion */
  complete: number;
  problems: string[];
  /** for each task and status change, last arrival − first arrival across its subscribers; the worst of them */
  maxDeliverySpreadMs: number;
  seconds: number;
}

/**
 * B3: 1,000 subscribers on 10 live tasks must cost the upstream no more polls than 10 subscribers on the
 * same 10 tasks, and every subscriber must see every status change in order.
 */
export async function runB3(ctx: RunContext): Promise<ScenarioResult> {
  const fake = await startFake(ctx, 'B3', { processingAfterMs: 3_000, succeedAfterMs: 8_000 });
  let server: ServerChild | undefined;
  try {
    server = await startServer(ctx, 'B3', fake, { POLL_MIN_MS: '500', POLL_MAX_MS: '1000' });
    ctx.progress(`B3: ${TASKS} tasks × 1 subscriber`);
    const single = await fanOut(server, fake, 1);
    ctx.progress(`B3: ${TASKS} tasks × 100 subscribers (1,000 WebSockets)`);
    const many = await fanOut(server, fake, 100);
    const allDelivered = single.complete === single.subscribers && many.complete === many.subscribers;
    return {
      id: 'B3',
      runs: [],
      verdicts: [
        {
          scenario: 'B3 fan-out: upstream polls',
          measured: `1 sub/task: ${single.polls} polls (${fixed(single.pollsPerTask, 1)}/task); 100 subs/task: ${many.polls} (${fixed(many.pollsPerTask, 1)}/task)`,
          target: 'same with 1,000 subscribers as with 10',
          // the two runs start at different moments of the poll schedule: allow one poll per task of jitter
          pass: many.pollsPerTask <= single.pollsPerTask + 1,
        },
        {
          scenario: 'B3 fan-out: delivery',
          measured:
            `${many.complete}/${many.subscribers} (and ${single.complete}/${single.subscribers}) saw ${EXPECTED.join('→')} + complete; ` +
            `each change reached all 100 subscribers of a task within ${fixed(many.maxDeliverySpreadMs, 0)} ms; lifecycle ${fixed(many.seconds, 1)} s`,
          target: 'every subscriber, every change',
          pass: allDelivered,
        },
      ],
      data: { single, many },
      notes: [...single.problems, ...many.problems].slice(0, 10).map((p) => `B3: ${p}`),
    };
  } finally {
    await stopAll(server, fake);
  }
}

async function fanOut(server: ServerChild, fake: Child, perTask: number): Promise<FanOutRun> {
  const subscribers = TASKS * perTask;
  // Connections first: subscribing must not race the tasks' first status change (3 s after creation).
  const clients = await openSubscriptionClients(server.wsUrl, subscribers);
  try {
    const reads = async () => {
      const { stats } = await fake.usage();
      return stats.get + stats.list;
    };
    const polls0 = await reads();
    const started = performance.now();
    const ids = await createTasks(server.origin, TASKS, TASKS);
    const arrivals = new Map<string, number[]>();
    const problems: string[] = [];
    const outcomes = clients.map((client, i) => follow(client, ids[i % TASKS], arrivals));
    const deadline = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref());
    const results = await Promise.race([Promise.all(outcomes), deadline]);
    const seconds = (performance.now() - started) / 1000;
    const polls = (await reads()) - polls0;
    let complete = 0;
    if (results === 'timeout') {
      problems.push(`${perTask}/task: not every subscription completed within 30 s`);
    } else {
      for (const [i, seen] of results.entries()) {
        if (seen.completed && seen.statuses.join() === EXPECTED.join()) complete += 1;
        else if (problems.length < 5)
          problems.push(
            `${perTask}/task, subscriber ${i}: saw ${seen.statuses.join('→') || 'nothing'}${seen.error ? ` (${seen.error})` : ''}`,
          );
      }
    }
    let maxDeliverySpreadMs = 0;
    for (const times of arrivals.values())
      maxDeliverySpreadMs = Math.max(maxDeliverySpreadMs, Math.max(...times) - Math.min(...times));
    return {
      subscribersPerTask: perTask,
      subscribers,
      polls,
      pollsPerTask: polls / TASKS,
      complete,
      problems,
      maxDeliverySpreadMs,
      seconds,
    };
  } finally {
    await disposeClients(clients);
  }
}

interface Seen {
  statuses: string[];
  completed: boolean;
  error?: string;
}

function follow(client: Client, id: string, arrivals: Map<string, number[]>): Promise<Seen> {
  return new Promise((resolve) => {
    const seen: Seen = { statuses: [], completed: false };
    client.subscribe<{ lipSyncTaskUpdated: { id: string; status: string } }>(
      { query: WATCH, variables: { id } },
      {
        next: (result) => {
          const status = result.data?.lipSyncTaskUpdated.status ?? `errors: ${JSON.stringify(result.errors)}`;
          seen.statuses.push(status);
          // the first result is the task as it was at subscribe time; only later ones are fanned-out changes
          if (seen.statuses.length === 1) return;
          const key = `${id} ${status}`;
          const times = arrivals.get(key) ?? [];
          times.push(performance.now());
          arrivals.set(key, times);
        },
        error: (error) => {
          seen.error = error instanceof Error ? error.message : JSON.stringify(error);
          resolve(seen);
        },
        complete: () => {
          seen.completed = true;
          resolve(seen);
        },
      },
    );
  });
}
