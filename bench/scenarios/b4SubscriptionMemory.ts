import { execSync } from 'node:child_process';
import type { Client } from 'graphql-ws';
import { WATCH, createTasks, disposeClients, openSubscriptionClients } from '../graphql';
import { fixed, mb, type ScenarioResult, type Verdict } from '../report';
import { NEVER_MS, type RunContext, sleep, startFake, startServer, stopAll, type ServerChild } from '../stack';

const TASKS = 1_000;
const SUBSCRIPTIONS = 10_000;
const RSS_LIMIT = 300 * 1024 * 1024;

interface Layout {
  name: string;
  sockets: number;
  perSocket: number;
}

interface MemoryRun extends Layout {
  baselineRss: number;
  rss: number;
  heapUsed: number;
  rssPerSubscription: number;
  addedPerSubscription: number;
  serverSubscribers: number;
  serverListeners: number;
  /** after every client left: listeners still registered (a leak if not 0) */
  listenersAfterClose: number;
  openSeconds: number;
}

/**
 * B4: 10,000 idle subscriptions on 1,000 live tasks; the server's RSS after garbage collection, multiplexed over
 * 200 graphql-ws connections and, where the file-descriptor limit allows, one WebSocket per subscription.
 */
export async function runB4(ctx: RunContext): Promise<ScenarioResult> {
  const layouts: Layout[] = [{ name: '200 sockets × 50', sockets: 200, perSocket: 50 }];
  const fdLimit = openFileLimit();
  const notes: string[] = [];
  if (ctx.options.quick) notes.push('B4: --quick measures the multiplexed layout only.');
  else if (fdLimit >= SUBSCRIPTIONS + 1_000)
    layouts.push({ name: '10,000 sockets × 1', sockets: SUBSCRIPTIONS, perSocket: 1 });
  else
    notes.push(`B4: ulimit -n is ${fdLimit}; one socket per subscription needs ≥ ${SUBSCRIPTIONS + 1_000}, skipped.`);

  const runs: MemoryRun[] = [];
  for (const layout of layouts) {
    ctx.progress(`B4: ${SUBSCRIPTIONS} subscriptions on ${TASKS} tasks, ${layout.name}`);
    runs.push(await measure(ctx, layout));
  }
  const verdicts: Verdict[] = runs.map((run) => ({
    scenario: `B4 memory, ${run.name}`,
    measured:
      `RSS ${mb(run.rss)} (${fixed(run.rssPerSubscription / 1024, 1)} KB/sub; +${mb(run.rss - run.baselineRss)} over ${mb(run.baselineRss)} idle = ` +
      `${fixed(run.addedPerSubscription / 1024, 1)} KB/sub); heap ${mb(run.heapUsed)}; listeners left after close: ${run.listenersAfterClose}`,
    target: 'RSS ≤ 300 MB',
    pass: run.rss <= RSS_LIMIT && run.serverSubscribers > 0 && run.listenersAfterClose === 0,
  }));
  return { id: 'B4', runs: [], verdicts, data: { fdLimit, runs }, notes };
}

async function measure(ctx: RunContext, layout: Layout): Promise<MemoryRun> {
  const tag = `B4-${layout.sockets}`;
  const fake = await startFake(ctx, tag, { processingAfterMs: NEVER_MS, succeedAfterMs: NEVER_MS });
  let server: ServerChild | undefined;
  let clients: Client[] = [];
  try {
    server = await startServer(ctx, tag, fake);
    const ids = await createTasks(server.origin, TASKS, 50);
    const baseline = await server.child.settledUsage();
    const opened = Date.now();
    clients = await openSubscriptionClients(server.wsUrl, layout.sockets, layout.sockets > 1_000 ? 500 : 100);
    const first: Array<Promise<void>> = [];
    let n = 0;
    for (const client of clients) {
      for (let j = 0; j < layout.perSocket; j++) first.push(firstResult(client, ids[n++ % TASKS]));
    }
    await Promise.all(first);
    const openSeconds = (Date.now() - opened) / 1000;
    await sleep(1_000);
    const loaded = await server.child.settledUsage();
    await disposeClients(clients);
    clients = [];
    const listenersAfterClose = await settledListeners(server);
    return {
      ...layout,
      baselineRss: baseline.memory.rss,
      rss: loaded.memory.rss,
      heapUsed: loaded.memory.heapUsed,
      rssPerSubscription: loaded.memory.rss / SUBSCRIPTIONS,
      addedPerSubscription: (loaded.memory.rss - baseline.memory.rss) / SUBSCRIPTIONS,
      serverSubscribers: loaded.stats.subscribers,
      serverListeners: loaded.stats.listeners,
      listenersAfterClose,
      openSeconds,
    };
  } finally {
    await disposeClients(clients);
    await stopAll(server, fake);
  }
}

/** Resolves at the subscription's first result (the task as it is now): from then on it is idle. */
function firstResult(client: Client, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let first = true;
    client.subscribe(
      { query: WATCH, variables: { id } },
      {
        next: (result) => {
          if (!first) return;
          first = false;
          if (result.errors) reject(new Error(`subscription failed: ${JSON.stringify(result.errors)}`));
          else resolve();
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => (first ? reject(new Error('subscription completed before its first result')) : undefined),
      },
    );
  });
}

/** The server's hub listener count once closes have been processed (up to 5 s). */
async function settledListeners(server: ServerChild): Promise<number> {
  let listeners = -1;
  for (let i = 0; i < 50; i++) {
    listeners = (await server.child.usage()).stats.listeners;
    if (listeners === 0) break;
    await sleep(100);
  }
  return listeners;
}

function openFileLimit(): number {
  try {
    const limit = execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim();
    return limit === 'unlimited' ? Infinity : Number(limit) || 0;
  } catch {
    return 0;
  }
}
