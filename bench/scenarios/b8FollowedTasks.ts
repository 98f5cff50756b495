import Database from 'better-sqlite3';
import { performance } from 'node:perf_hooks';
import { createTasks } from '../graphql';
import { cpuMicros } from '../protocol';
import { fixed, mb, type ScenarioResult } from '../report';
import { NEVER_MS, type RunContext, sleep, startFake, startServer, stopAll, type ServerChild } from '../stack';

const STORED_ROWS = 1_000_000;
const LIVE_TASKS = 10_000;
const SCRAPES = 50;

/**
 * B8: one instance following 10,000 live tasks (watchers at their defaults, tasks that never finish) over a
 * table of 1,000,000 finished ones: server CPU per followed task per minute, RSS per followed task, and how long a
 * /metrics scrape takes with that many rows (the task count is sampled on a timer, src/services/TaskCountSampler.ts).
 */
export async function runB8(ctx: RunContext): Promise<ScenarioResult> {
  const windowSeconds = ctx.seconds(30, 10);
  const fake = await startFake(ctx, 'B8', { processingAfterMs: 5_000, succeedAfterMs: NEVER_MS });
  let server: ServerChild | undefined;
  try {
    // A first start creates the schema; the rows are then written directly, as a long-lived deployment has them
    // (finished, and handed to the archive when they succeeded: an unarchived history would be a backfill, not idle).
    server = await startServer(ctx, 'B8', fake);
    const databaseFile = server.databaseFile;
    await stopAll(server);
    server = undefined;
    ctx.progress(`B8: writing ${STORED_ROWS.toLocaleString('en')} finished tasks into the SQLite file`);
    const fillSeconds = fillFinishedTasks(databaseFile, STORED_ROWS);

    server = await startServer(ctx, 'B8', fake);
    const idleScrape = await scrapeTimes(server.origin, SCRAPES);
    await server.child.resetStats();
    const idle0 = await server.child.usage();
    await sleep(windowSeconds * 1000);
    const idle1 = await server.child.usage();
    const idleRss = (await server.child.settledUsage()).memory.rss;

    ctx.progress(`B8: creating ${LIVE_TASKS.toLocaleString('en')} live tasks`);
    await createTasks(server.origin, LIVE_TASKS, 64);
    // Let the creates' own work and the first polls pass; the backoff reaches POLL_MAX_MS within ~30 s.
    await sleep(Math.min(30, windowSeconds) * 1000);
    ctx.progress(`B8: ${windowSeconds} s following ${LIVE_TASKS.toLocaleString('en')} tasks`);
    const reads0 = (await fake.usage()).stats;
    await server.child.resetStats();
    const busy0 = await server.child.usage();
    await sleep(windowSeconds * 1000);
    const busy1 = await server.child.usage();
    const reads1 = (await fake.usage()).stats;
    const gets = reads1.get - reads0.get;
    const lists = reads1.list - reads0.list;
    const busyScrape = await scrapeTimes(server.origin, SCRAPES);
    const busy = await server.child.settledUsage();

    const minutes = windowSeconds / 60;
    const idleCpuUs = cpuMicros(idle1) - cpuMicros(idle0);
    const cpuPerTaskMinuteUs = (cpuMicros(busy1) - cpuMicros(busy0) - idleCpuUs) / LIVE_TASKS / minutes;
    const rssPerTask = (busy.memory.rss - idleRss) / LIVE_TASKS;
    const scrapeTarget = Math.max(idleScrape.p50, busyScrape.p50);
    return {
      id: 'B8',
      runs: [],
      verdicts: [
        {
          scenario: `B8 CPU per followed task (${LIVE_TASKS.toLocaleString('en')} live)`,
          measured:
            `${fixed(cpuPerTaskMinuteUs, 0)} µs per task per minute (${fixed(gets / windowSeconds, 0)} GETs/s + ${fixed(lists / windowSeconds, 1)} list pages/s; idle ${fixed(idleCpuUs / windowSeconds / 1000, 1)} ms CPU/s); ` +
            `event-loop delay p99 ${fixed(busy1.stats.loopDelayP99Ms, 1)} ms (idle ${fixed(idle1.stats.loopDelayP99Ms, 1)}, max ${fixed(idle1.stats.loopDelayMaxMs, 1)})`,
          target: '(information)',
          pass: null,
        },
        {
          scenario: 'B8 RSS per followed task',
          measured: `${fixed(rssPerTask / 1024, 1)} KB (RSS ${mb(idleRss)} idle → ${mb(busy.memory.rss)} with ${LIVE_TASKS.toLocaleString('en')} followed)`,
          target: '(information)',
          pass: null,
        },
        {
          scenario: `B8 /metrics scrape at ${(STORED_ROWS + LIVE_TASKS).toLocaleString('en')} rows`,
          measured:
            `median ${fixed(idleScrape.p50, 2)} ms, max ${fixed(idleScrape.max, 1)} ms idle; median ${fixed(busyScrape.p50, 2)} ms, ` +
            `max ${fixed(busyScrape.max, 1)} ms while following (${SCRAPES} scrapes each)`,
          target: '≤ 10 ms',
          pass: scrapeTarget <= 10,
        },
      ],
      data: {
        fillSeconds,
        idleScrape,
        busyScrape,
        cpuPerTaskMinuteUs,
        rssPerTask,
        idleRss,
        busyRss: busy.memory.rss,
        polls: gets,
        listPages: lists,
        windowSeconds,
      },
      notes: [
        `B8: ${STORED_ROWS.toLocaleString('en')} finished rows written in ${fixed(fillSeconds, 1)} s; live tasks never finish (fake), watchers at their defaults ` +
          "(no history of finished tasks in this process, so the backoff up to POLL_MAX_MS); CPU per task excludes the idle server's own CPU.",
      ],
    };
  } finally {
    await stopAll(server, fake);
  }
}

/** Finished tasks of one tenant, written with one statement (a recursive CTE), in the server's own schema. */
function fillFinishedTasks(databaseFile: string, rows: number): number {
  const started = performance.now();
  const db = new Database(databaseFile);
  try {
    const now = Date.now();
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows)
       INSERT INTO tasks (id, tenant, state, upstream_id, mode, status_message, parent_video, videos, idempotency_key, request_hash,
                          idempotency_expires_at, upstream_request_id, submit_error, created_at, updated_at, recorded_at, checked_at, lease_until,
                          archive_enqueued_at)
       SELECT printf('b8-%09d', i), 'default', 'succeeded', printf('9%017d', i), 'TEXT_TO_VIDEO', NULL, NULL,
              '[{"id":"v","url":"https://media.example.com/v.mp4","durationSeconds":5.1}]', NULL, 'b8', NULL, NULL, NULL,
              :now - i * 1000, :now - i * 1000 + 300000, :now - i * 1000, :now, 0, :now - i * 1000 + 300000
       FROM n`,
    ).run({ rows, now });
  } finally {
    db.close();
  }
  return (performance.now() - started) / 1000;
}

async function scrapeTimes(origin: string, count: number): Promise<{ p50: number; max: number }> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await fetch(`${origin}/metrics`);
    await response.text();
    if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)], max: times[times.length - 1] };
}
