import path from 'node:path';
import { childEnv, freePort, waitFor } from '../support/childServer';
import { useCrashLab } from '../support/crashLab';
import { GraphQLTestClient } from '../support/graphqlClient';
import { readTaskRows, type StoredTaskRow } from '../support/storeFile';
import { CREATE_MUTATION, TEXT_INPUT } from '../support/testServer';

const TOTAL = 200;
const CONCURRENCY = 20;
const KILL_AFTER_ACKS = TOTAL / 2;

interface Shot {
  /** index in firing order */
  n: number;
  /** unique per distinct request (a repeated key repeats its text too): the fake's create body carries it */
  text: string;
  key: string | null;
  outcome: 'unsent' | 'in flight' | 'acknowledged' | 'error' | 'no answer';
  taskId?: string;
  error?: string;
}

/**
 * Every 3rd request carries an idempotency key; a few keys are sent twice (right behind the first, so both are
 * in flight together, or much later). Texts identify requests in the fake's create bodies.
 */
function plan(): Shot[] {
  const shots: Shot[] = [];
  const repeatSoon = new Set([3, 30, 63, 96]);
  const repeatLate = new Set([6, 45, 72]);
  const late: Shot[] = [];
  for (let i = 0; shots.length + late.length < TOTAL; i++) {
    const key = i % 3 === 0 ? `crash-key-${i}` : null;
    const shot = (): Shot => ({ n: 0, text: `crash ${i}`, key, outcome: 'unsent' });
    shots.push(shot());
    if (repeatSoon.has(i)) shots.push(shot());
    if (repeatLate.has(i)) late.push(shot());
    if (i === 80) shots.push(...late.splice(0)); // the late repeats go in around the kill
  }
  shots.push(...late);
  shots.forEach((s, n) => (s.n = n));
  return shots.slice(0, TOTAL);
}

type CreateBody = { input: { text: string }; external_task_id: string };

describe('crash: kill -9 mid-stream, restart on the same file, nothing accepted is lost', () => {
  // Requests stay in flight for a while; tasks stay SUBMITTED (nothing to converge but the submissions).
  const lab = useCrashLab('lipsync-crash-', { latencyMs: 40, processingAfterMs: 600_000, succeedAfterMs: 1_200_000 });

  it('every acknowledged create and every upstream-accepted task is in the store exactly once; no key made two tasks', async () => {
    const databaseFile = path.join(lab.dir, 'lipsync.db');
    const port = await freePort();
    const env = childEnv(lab.fake, databaseFile, { KLING_TIMEOUT_MS: '2000', RECONCILE_INTERVAL_MS: '500' });

    const first = await lab.start({ env, port, cwd: lab.dir });
    const client = new GraphQLTestClient(first.url, first.wsUrl);

    // Fire all 200 through a pool of 20; the answer that makes it half acknowledged pulls the plug.
    const shots = plan();
    let next = 0;
    let acknowledged = 0;
    let killed: Promise<unknown> | null = null;
    const fire = async (shot: Shot): Promise<void> => {
      shot.outcome = 'in flight';
      const input = { ...TEXT_INPUT, text: shot.text, ...(shot.key ? { idempotencyKey: shot.key } : {}) };
      try {
        const res = await client.request(CREATE_MUTATION, { input });
        if (res.body.errors?.length) {
          shot.outcome = 'error';
          shot.error = JSON.stringify(res.body.errors[0].extensions?.code);
        } else {
          shot.outcome = 'acknowledged';
          shot.taskId = res.body.data!.createLipSync.id as string;
          acknowledged += 1;
        }
      } catch (error) {
        shot.outcome = 'no answer';
        shot.error = String(error);
      }
      if (acknowledged >= KILL_AFTER_ACKS && !killed) killed = first.crash();
    };
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < shots.length) await fire(shots[next++]); // after the kill, the rest meet a dead server
      }),
    );
    expect(await killed).toEqual({ code: null, signal: 'SIGKILL' });

    const fired = shots.filter((s) => s.outcome !== 'unsent');
    const acked = fired.filter((s) => s.outcome === 'acknowledged');
    // Nothing answered with an error before the crash: every failure is a lost connection.
    expect(fired.filter((s) => s.outcome === 'error')).toEqual([]);
    expect(fired.filter((s) => s.outcome === 'no answer').length).toBeGreaterThan(0);

    // The lab.fake finishes what it was given (its latency) even though nobody hears the answers.
    await waitFor(
      'the lab.fake to book every create it received',
      () => lab.fake.tasks.size === lab.fake.count('create'),
      5_000,
    );
    const acceptedBeforeRestart = lab.fake.tasks.size;
    const rowsAtCrash = readTaskRows(databaseFile);
    const submittingAtCrash = rowsAtCrash.filter((r) => r.state === 'submitting');
    // Accepted here but not sent yet: the queue keeps them, and the restarted server submits each once.
    const queuedAtCrash = rowsAtCrash.filter((r) => r.state === 'queued');

    // Restart on the same file and port; recovery settles every `submitting` row.
    const second = await lab.start({ env, port, cwd: lab.dir });
    const rowsAfter = await waitFor(
      'no row left submitting after the restart',
      () => {
        const rows = readTaskRows(databaseFile);
        return rows.length > 0 && rows.every((r) => r.state !== 'submitting' && r.state !== 'queued') && rows;
      },
      15_000,
      100,
    );
    // Recovery never creates what may have been sent (it looks those rows up); only never-sent queued rows go, once each.
    expect(lab.fake.count('create')).toBe(acceptedBeforeRestart + queuedAtCrash.length);
    const sentIds = lab.fake.requests
      .filter((r) => r.endpoint === 'create')
      .map((r) => (r.body as CreateBody).external_task_id);
    for (const row of queuedAtCrash)
      expect({ id: row.id, sent: sentIds.filter((id) => id === row.id).length }).toEqual({ id: row.id, sent: 1 });

    const fakeTasks = lab.fake.tasks.allTasks();
    const byId = new Map(rowsAfter.map((r) => [r.id, r]));
    const byUpstreamId = new Map(rowsAfter.filter((r) => r.upstream_id).map((r) => [r.upstream_id as string, r]));

    // 1. Every create the client saw succeed is in the store under the id it was given, with its upstream id.
    for (const shot of acked)
      expect({ shot: shot.n, stored: Boolean(byId.get(shot.taskId!)?.upstream_id) }).toEqual({
        shot: shot.n,
        stored: true,
      });

    // 2. Every task the upstream accepted is in the store exactly once, under its external_task_id and its id.
    const found = fakeTasks.filter((task) => {
      const row = byId.get(task.task_info?.external_task_id as string);
      return row !== undefined && row.upstream_id === task.task_id && byUpstreamId.get(task.task_id) === row;
    });
    expect(found).toHaveLength(fakeTasks.length);
    expect(new Set(rowsAfter.map((r) => r.upstream_id).filter(Boolean)).size).toBe(
      rowsAfter.filter((r) => r.upstream_id).length,
    );
    // Rows without an upstream id are exactly the ones the upstream never saw.
    const externalIds = new Set(fakeTasks.map((t) => t.task_info?.external_task_id));
    for (const row of rowsAfter.filter((r) => !r.upstream_id)) {
      expect({ id: row.id, state: row.state, upstream: externalIds.has(row.id) }).toEqual({
        id: row.id,
        state: 'submit_failed',
        upstream: false,
      });
    }
    const reconciled = submittingAtCrash.filter((r) => byId.get(r.id)?.upstream_id);

    // 3. No key created two upstream tasks: by our own bookkeeping of which body carried which key ...
    const keyOfText = new Map(shots.map((s) => [s.text, s.key]));
    const keyOfExternalId = (externalId: string): string | null => {
      const body = lab.fake.requests.find(
        (r) => r.endpoint === 'create' && (r.body as CreateBody).external_task_id === externalId,
      );
      return keyOfText.get((body!.body as CreateBody).input.text) ?? null;
    };
    const tasksByKey = (tasks: typeof fakeTasks, keyOf: (externalId: string) => string | null | undefined) => {
      const grouped = new Map<string, string[]>();
      for (const task of tasks) {
        const key = keyOf(task.task_info?.external_task_id as string);
        // by our task id (the external_task_id): what the client was given
        if (key) grouped.set(key, [...(grouped.get(key) ?? []), task.task_info?.external_task_id as string]);
      }
      return grouped;
    };
    const tasksPerKey = tasksByKey(fakeTasks, keyOfExternalId);
    // ... and through the store's idempotency_key column, which must agree with it.
    const tasksPerStoredKey = tasksByKey(fakeTasks, (externalId) => byId.get(externalId)?.idempotency_key);
    expect(tasksPerStoredKey).toEqual(tasksPerKey);
    const duplicates = [...tasksPerKey.values()].filter((ids) => ids.length > 1);
    expect(duplicates).toEqual([]);
    // Two acknowledged sends of one key got one task.
    for (const shot of acked.filter((s) => s.key)) {
      expect({ key: shot.key, task: shot.taskId }).toEqual({ key: shot.key, task: tasksPerKey.get(shot.key!)?.[0] });
    }

    // 4. A client that lost its answer retries with the same key after the restart: it gets the one task, never a second.
    const secondClient = new GraphQLTestClient(second.url, second.wsUrl);
    const retried = fired.filter((s) => s.key && s.outcome === 'no answer');
    for (const shot of retried) {
      const res = await secondClient.request(CREATE_MUTATION, {
        input: { ...TEXT_INPUT, text: shot.text, idempotencyKey: shot.key },
      });
      expect(res.body.errors).toBeUndefined();
      const id = res.body.data!.createLipSync.id as string;
      const before = tasksPerKey.get(shot.key!);
      if (before) expect({ key: shot.key, id }).toEqual({ key: shot.key, id: before[0] });
    }
    const afterRetries = tasksByKey(lab.fake.tasks.allTasks(), keyOfExternalId);
    expect([...afterRetries.values()].filter((ids) => ids.length > 1)).toEqual([]);
    for (const shot of retried) expect(afterRetries.get(shot.key!)).toHaveLength(1);

    const counts = {
      fired: fired.length,
      acknowledged: acked.length,
      'accepted by upstream': acceptedBeforeRestart,
      'submitting at crash': submittingAtCrash.length,
      'queued at crash (submitted after restart)': queuedAtCrash.length,
      'found after restart': found.length,
      reconciled: reconciled.length,
      'never accepted (submit_failed)': rowsAfter.filter((r: StoredTaskRow) => r.state === 'submit_failed').length,
      'retried with key after restart': retried.length,
      duplicates: duplicates.length,
    };
    console.log(
      `crash test: ${Object.entries(counts)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
    // The counts hold together on every run, whatever the moment of the kill:
    // no key made two tasks, and every task the upstream accepted was found after the restart;
    expect(counts.duplicates).toBe(0);
    expect(counts['found after restart']).toBe(counts['accepted by upstream'] + queuedAtCrash.length);
    // each accepted task was either recorded before the crash or reconciled from a `submitting` row ...
    const storedAtCrash = rowsAtCrash.filter((r) => r.upstream_id).length;
    expect(storedAtCrash + counts.reconciled).toBe(counts['accepted by upstream']);
    // ... and each `submitting` row was settled one way or the other (nothing failed for good before the crash).
    expect(rowsAtCrash.filter((r) => r.state === 'submit_failed')).toEqual([]);
    expect(counts.reconciled + counts['never accepted (submit_failed)']).toBe(counts['submitting at crash']);
    // Acknowledged creates are distinct upstream tasks, except keyed repeats answered with the first one's task.
    expect(new Set(acked.map((s) => s.taskId)).size).toBeLessThanOrEqual(counts['accepted by upstream']);
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(acked.length).toBeLessThan(fired.length);

    expect(await second.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
