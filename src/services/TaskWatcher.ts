import type { Logger } from 'pino';
import {
  isTerminal,
  taskClassOf,
  type TaskClass,
  type TaskKind,
  type TaskRecord,
  type TaskSnapshot,
  type TaskState,
} from '../domain/task';
import { ErrorCode, UpstreamError } from '../errors';
import { fromKlingTask, hasKnownStatus } from '../mappers/klingTask';
import type { Metrics } from '../metrics';
import type { TaskStore } from '../store/TaskStore';
import type { KlingApi } from '../upstream/KlingApi';
import type { RateLimiter } from '../upstream/RateLimiter';
import type { TaskDurations } from './TaskDurations';
import { MIN_TASKS_PER_PAGE, sweepTaskList, type ListedTask } from './TaskListSweep';
import type { TaskUpdateHub } from './TaskUpdateHub';

export interface TaskWatcherOptions {
  store: TaskStore;
  kling: KlingApi;
  hub: TaskUpdateHub;
  log: Logger;
  metrics?: Metrics;
  now: () => number;
  pollMinMs: number;
  pollMaxMs: number;
  /** cluster-wide: only the instance holding a task's lease polls it (the others hear changes through the hub) */
  pollLease?: PollLease;
  /**
   * a poll lease's lifetime; every instance renews (or tries to take) the leases of the tasks it follows every
   * third of it, so another one takes over within about this long plus a third after the holder dies
   */
  pollLeaseTtlMs?: number;
  /**
   * paces scheduled polls below the upstream rate limit, so that after a restart with many live tasks
   * polls cannot queue ahead of creates in the shared limiter
   */
  pollPacer?: RateLimiter;
  /**
   * what this deployment has seen of its tasks' lives: with it, scheduled polls go where tasks change
   * (see adaptiveDelay) instead of backing off blindly; without it, or before enough tasks finished, the backoff
   */
  durations?: TaskDurations;
  /**
   * set when the upstream calls back (PUBLIC_URL): each callback hint fetches the task (LipSyncService), and
   * scheduled polls are only a safety net this often, once past the longest duration seen
   */
  callbackSafetyPollMs?: number;
}

export interface PollLease {
  /** Takes the task's lease for `ttlMs`, or extends it when this instance holds it; true when it holds it now. */
  tryAcquire(upstreamId: string, ttlMs: number): Promise<boolean>;
  /** Gives up those of these leases this instance holds, so another instance takes over at once. */
  release(upstreamIds: readonly string[]): Promise<void>;
}

/** Default lifetime of a poll lease (POLL_LEASE_TTL_MS). */
const DEFAULT_POLL_LEASE_TTL_MS = 10_000;

/** The slowest a watcher goes after the upstream said "too many requests". */
const RATE_LIMITED_DELAY_MS = 5_000;

/** The longest a due poll waits for others to share a list page with (a quarter of POLL_MIN_MS when that is shorter). */
const MAX_BATCH_WINDOW_MS = 250;

/**
 * A sweep's answers are taken this many at a time, one slice per event-loop turn (its writes in a group commit of
 * their own): when thousands of followed tasks are met or change together (a burst of creates turning
 * `processing`), requests are answered between slices instead of waiting for one turn that handles them all
 * (docs/performance.md, section 10).
 */
export const LISTED_PER_SLICE = 64;

interface Watch {
  delay: number;
  timer: NodeJS.Timeout | null;
  /** the state this loop last saw, to start the backoff over when it moves */
  lastState: string;
  /** STANDARD tasks' mode, or ADVANCED: what durations are learnt by */
  mode: TaskClass;
  /** which endpoint family the task is polled at, and whose list it is swept in */
  kind: TaskKind;
  /** epoch ms, the upstream's creation time: where the task is in its life (and in Kling's list) */
  createdAt: number;
  /** scheduled polls made so far */
  polls: number;
  /** our record id, which Kling echoes as external_task_id: a list entry naming another is not taken */
  recordId: string;
  /** the last answer known to be in the store (state and the upstream's updated_at): a list entry equal to it needs no write */
  answerState: TaskState;
  answerUpdatedAt: number;
  /** epoch ms of the last answer from the upstream this instance saw, written or not */
  answeredAt: number;
}

/** Past the longest duration seen, the safety poll waits this much longer than it (clock skew, a slow task). */
const SAFETY_MARGIN = 1.1;
/**
 * The first poll goes this much after the shortest time to leave `submitted`: timers and the two clocks are only
 * millisecond-accurate, and a poll right on the boundary may still find the task submitted (test/server/lifecycle.test.ts).
 */
const FIRST_POLL_MARGIN = 1.05;

/**
 * Follows every live task to its end: one poll loop per task, however many clients follow it.
 * Polls go where this deployment's tasks change (TaskDurations: the first after the shortest recent time to
 * leave `submitted`, then at the quantiles of recent durations, never more than POLL_MAX_MS apart); with
 * callbacks only a slow safety poll remains. Before anything was learnt, and past the longest duration seen,
 * polls back off while nothing changes (min → max, doubling) and start over at each change; every
 * change is written to the store first and then published to the hub. The upstream client paces
 * all polls with the shared rate limiter.
 * Polls that fall due together (within a batch window) are answered by one walk down Kling's task list
 * (src/services/TaskListSweep.ts) once this instance polls enough tasks: a page answers for up to 500 tasks,
 * every followed task met on it counts as polled, and only those that moved are written. Due tasks the pages
 * did not reach are asked for one by one, as are all of them when only a few tasks are followed.
 */
export class TaskWatcher {
  private readonly watches = new Map<string, Watch>();
  private readonly inFlight = new Map<string, Promise<TaskRecord | null>>();
  /** tasks whose scheduled poll is due, waiting for the next list sweep (or their own GET) */
  private readonly due = new Set<string>();
  private readonly batchWindowMs: number;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  /** tasks whose poll lease this instance held at its last attempt */
  private readonly held = new Set<string>();
  private readonly leaseTtlMs: number;
  private readonly leaseTimer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: TaskWatcherOptions) {
    this.leaseTtlMs = options.pollLeaseTtlMs ?? DEFAULT_POLL_LEASE_TTL_MS;
    this.batchWindowMs = Math.max(1, Math.min(MAX_BATCH_WINDOW_MS, options.pollMinMs / 4));
    if (options.pollLease) {
      // Unref'd: leases alone never keep the process alive.
      this.leaseTimer = setInterval(() => void this.renewLeases(), this.leaseTtlMs / 3).unref();
    }
  }

  /** Starts following a task (no-op when terminal or already followed). */
  track(record: TaskRecord): void {
    const id = record.upstreamId;
    if (this.closed || id === null || isTerminal(record.state) || this.watches.has(id)) return;
    const watch: Watch = {
      delay: this.options.pollMinMs,
      timer: null,
      lastState: record.state,
      mode: taskClassOf(record),
      kind: record.kind,
      createdAt: record.createdAt,
      polls: 0,
      recordId: record.id,
      answerState: record.state,
      answerUpdatedAt: record.updatedAt,
      answeredAt: record.checkedAt,
    };
    this.watches.set(id, watch);
    this.options.metrics?.watchersActive.set(this.watches.size);
    watch.delay = this.adaptiveDelay(watch) ?? watch.delay;
    this.schedule(id, watch);
  }

  /**
   * Asks the upstream now (one request however many callers ask at once).
   * Null when the upstream does not know the task. Throws other upstream errors.
   */
  refresh(upstreamId: string, kind: TaskKind = 'STANDARD'): Promise<TaskRecord | null> {
    let pending = this.inFlight.get(upstreamId);
    if (!pending) {
      pending = this.fetchAndStore(upstreamId, kind).finally(() => this.inFlight.delete(upstreamId));
      this.inFlight.set(upstreamId, pending);
    }
    return pending;
  }

  activeCount(): number {
    return this.watches.size;
  }

  isTracking(upstreamId: string): boolean {
    return this.watches.has(upstreamId);
  }

  /**
   * Epoch ms of the last upstream answer about a followed task that this instance saw (0 when none): a list
   * sweep that found the task unchanged writes nothing, so the stored checkedAt can be older than this.
   */
  lastAnsweredAt(upstreamId: string): number {
    return this.watches.get(upstreamId)?.answeredAt ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    await this.renewing;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.flushing;
    await this.releaseLeases();
    await this.options.pollPacer?.close?.();
    for (const watch of this.watches.values()) if (watch.timer) clearTimeout(watch.timer);
    this.watches.clear();
    this.options.metrics?.watchersActive.set(0);
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private schedule(upstreamId: string, watch: Watch): void {
    watch.timer = setTimeout(() => void this.pollScheduled(upstreamId, watch), watch.delay);
    watch.timer.unref();
  }

  /** A scheduled poll is due: once the lease is ours, it waits (at most the batch window) for the next sweep. */
  private async pollScheduled(upstreamId: string, watch: Watch): Promise<void> {
    watch.timer = null;
    if (this.watches.get(upstreamId) !== watch) return;
    watch.polls += 1;
    try {
      const mine = this.options.pollLease ? await this.acquire(upstreamId) : true;
      if (!mine) return this.reschedule(upstreamId, watch, Math.min(watch.delay * 2, this.options.pollMaxMs));
    } catch (error) {
      return this.pollFailed(upstreamId, watch, error);
    }
    if (this.closed || this.watches.get(upstreamId) !== watch) return;
    this.due.add(upstreamId);
    this.flushTimer ??= setTimeout(() => this.flushDue(), this.batchWindowMs).unref();
  }

  /** One sweep at a time; polls that fall due meanwhile wait for the next. */
  private flushDue(): void {
    this.flushTimer = null;
    if (this.flushing || this.closed) return;
    this.flushing = this.pollDue().finally(() => {
      this.flushing = null;
      if (this.due.size > 0 && !this.closed) this.flushTimer ??= setTimeout(() => this.flushDue(), 0).unref();
    });
  }

  /**
   * The due polls of one batch window. When this instance polls enough tasks to fill part of a page, they go
   * through the list (one request for up to 500 tasks, and every other followed task on those pages is
   * refreshed with them, which also brings their next polls together); due tasks the sweep did not meet, and
   * all of them when only a few tasks are followed, are asked for one by one.
   */
  private async pollDue(): Promise<void> {
    const ids = [...this.due].filter((id) => this.watches.has(id));
    this.due.clear();
    // Each endpoint family has its own list (docs/kling.md): its tasks share pages only with each other.
    const polled = this.polledByKind();
    const handled = new Set<string>();
    for (const [kind, count] of polled) {
      const ofKind = ids.filter((id) => this.watches.get(id)?.kind === kind);
      if (ofKind.length > 0 && count >= MIN_TASKS_PER_PAGE)
        for (const id of await this.sweep(ofKind, kind)) handled.add(id);
    }
    for (const id of ids) if (!handled.has(id)) void this.pollOne(id);
  }

  /** How many tasks of each kind this instance polls (those whose lease it holds, with leases). */
  private polledByKind(): Map<TaskKind, number> {
    const counts = new Map<TaskKind, number>();
    const polled = this.options.pollLease ? this.held : this.watches.keys();
    for (const id of polled) {
      const kind = this.watches.get(id)?.kind;
      if (kind) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    return counts;
  }

  /** Sweeps the list for the due tasks; returns those it answered (or failed for, when the upstream refused). */
  private async sweep(ids: string[], kind: TaskKind): Promise<Set<string>> {
    const { kling, pollPacer, log } = this.options;
    const due = ids.map((upstreamId) => ({ upstreamId, createdAt: (this.watches.get(upstreamId) as Watch).createdAt }));
    const isDue = new Set(ids);
    const { found, failure } = await sweepTaskList(kling, kind, due, (id) => this.mayPoll(id), pollPacer);
    const handled = new Set<string>();
    const entries = [...found];
    for (let start = 0; start < entries.length; start += LISTED_PER_SLICE) {
      await Promise.all(
        entries.slice(start, start + LISTED_PER_SLICE).map(async ([id, listed]) => {
          if (await this.applyListed(id, listed, isDue.has(id))) handled.add(id);
        }),
      );
      if (start + LISTED_PER_SLICE < entries.length) await new Promise(setImmediate);
    }
    if (failure !== undefined) {
      log.warn({ err: describe(failure) }, 'task list sweep failed; asking for the due tasks one by one');
      // The upstream asked us to slow down: single GETs would only add to it.
      if (isRateLimited(failure)) {
        for (const id of ids) {
          const watch = this.watches.get(id);
          if (!handled.has(id) && watch) this.pollFailed(id, watch, failure);
          handled.add(id);
        }
      }
    }
    return handled;
  }

  /**
   * A followed task met in a list: written only when it moved past what the store holds. False when the entry
   * is not taken as an answer (an undocumented status, or another record's external id): a GET decides then.
   */
  private async applyListed(upstreamId: string, listed: ListedTask, due: boolean): Promise<boolean> {
    const watch = this.watches.get(upstreamId);
    if (!watch) return true;
    const snapshot = fromKlingTask(listed.task);
    if (!hasKnownStatus(listed.task)) return false;
    if (snapshot.externalTaskId !== null && snapshot.externalTaskId !== watch.recordId) return false;
    let state = watch.answerState;
    if (movedPast(snapshot, watch)) {
      const record = await this.applyAnswer(snapshot, listed.requestId);
      if (record === null) {
        this.untrack(upstreamId);
        return true;
      }
      state = record.state;
    } else {
      watch.answeredAt = this.options.now();
    }
    // A task whose own poll is under way elsewhere (a GET, or the next batch) is left to it.
    if (due || watch.timer) this.settle(upstreamId, watch, state, due);
    return true;
  }

  /** A due task asked for alone. */
  private async pollOne(upstreamId: string): Promise<void> {
    const watch = this.watches.get(upstreamId);
    if (!watch) return;
    try {
      await this.options.pollPacer?.acquire();
      const record = await this.refresh(upstreamId, watch.kind);
      if (record === null) return this.untrack(upstreamId);
      this.settle(upstreamId, watch, record.state, true);
    } catch (error) {
      this.pollFailed(upstreamId, watch, error);
    }
  }

  /**
   * The next poll after an answer: a due poll backs off (doubling up to POLL_MAX_MS), a task merely met on a
   * swept page keeps its pace; a change starts the backoff over, and what was learnt of durations goes first.
   */
  private settle(upstreamId: string, watch: Watch, state: TaskState, due: boolean): void {
    if (isTerminal(state)) return this.untrack(upstreamId);
    const { pollMinMs, pollMaxMs } = this.options;
    let next = due ? Math.min(watch.delay * 2, pollMaxMs) : watch.delay;
    if (state !== watch.lastState) {
      watch.lastState = state;
      next = pollMinMs;
    }
    this.reschedule(upstreamId, watch, this.adaptiveDelay(watch) ?? next);
  }

  private pollFailed(upstreamId: string, watch: Watch, error: unknown): void {
    const { pollMaxMs, log } = this.options;
    let next = Math.min(watch.delay * 2, pollMaxMs);
    if (isRateLimited(error)) next = Math.max(next, Math.min(RATE_LIMITED_DELAY_MS, pollMaxMs));
    log.warn({ taskId: upstreamId, err: describe(error) }, 'task poll failed; will retry');
    this.reschedule(upstreamId, watch, next);
  }

  private reschedule(upstreamId: string, watch: Watch, delay: number): void {
    if (this.closed || this.watches.get(upstreamId) !== watch) return;
    if (watch.timer) clearTimeout(watch.timer);
    watch.delay = delay;
    this.schedule(upstreamId, watch);
  }

  /** Whether this instance polls the task now (it follows it and, with leases, holds its lease). */
  private mayPoll(upstreamId: string): boolean {
    return this.watches.has(upstreamId) && (!this.options.pollLease || this.held.has(upstreamId));
  }

  /**
   * The wait until the next poll worth making, from what this deployment has seen, or null to use the backoff.
   * Without callbacks: the first poll when the quickest recent task left `submitted`, then the next tenth-quantile
   * of recent durations (each poll catches about a tenth of the finishes), never more than POLL_MAX_MS ahead.
   * With callbacks: nothing until past the longest duration seen, then every `callbackSafetyPollMs`.
   */
  private adaptiveDelay(watch: Watch): number | null {
    const { durations, now, pollMinMs, pollMaxMs, callbackSafetyPollMs } = this.options;
    if (!durations) return null;
    const age = now() - watch.createdAt;
    if (callbackSafetyPollMs !== undefined) {
      const longest = durations.longestDurationMs(watch.mode);
      const until =
        longest !== null && age < longest * SAFETY_MARGIN ? longest * SAFETY_MARGIN - age : callbackSafetyPollMs;
      return Math.max(until, pollMinMs);
    }
    const shortest = durations.shortestLeaveSubmittedMs(watch.mode);
    const first = watch.polls === 0 && watch.lastState === 'submitted';
    const target = first
      ? shortest && Math.ceil(shortest * FIRST_POLL_MARGIN) + 1
      : durations.nextQuantileAgeMs(watch.mode, age);
    if (target === null) return null;
    return Math.min(Math.max(target - age, pollMinMs), pollMaxMs);
  }

  /** One attempt at the task's lease; remembers the outcome for the renewal timer. None once closing. */
  private async acquire(upstreamId: string): Promise<boolean> {
    if (this.closed) return false;
    const mine = await (this.options.pollLease as PollLease).tryAcquire(upstreamId, this.leaseTtlMs);
    if (mine && this.watches.has(upstreamId)) this.held.add(upstreamId);
    else this.held.delete(upstreamId);
    return mine;
  }

  /**
   * Every third of a lease's lifetime, not only when a poll is due (the backoff spaces polls up to POLL_MAX_MS):
   * extends the leases this instance holds and tries to take those of the other tasks it follows. A task newly
   * taken, whose poller has died, is polled at once rather than at the end of this instance's backoff.
   */
  private renewLeases(): Promise<void> {
    this.renewing ??= (async () => {
      const ids = [...this.watches.keys()];
      const before = new Set(this.held);
      const answers = await Promise.all(ids.map((id) => this.acquire(id).catch(() => false)));
      ids.forEach((id, i) => {
        const watch = this.watches.get(id);
        if (!answers[i] || before.has(id) || this.closed || !watch?.timer) return;
        clearTimeout(watch.timer);
        void this.pollScheduled(id, watch);
      });
    })().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  /** On a graceful stop: the other instances need not wait for the leases to run out. */
  private async releaseLeases(): Promise<void> {
    const { pollLease, log } = this.options;
    const ids = [...this.held];
    this.held.clear();
    if (!pollLease || ids.length === 0) return;
    await pollLease
      .release(ids)
      .catch((error) =>
        log.warn({ err: describe(error) }, 'could not release poll leases; they run out by themselves'),
      );
  }

  private async fetchAndStore(upstreamId: string, kind: TaskKind): Promise<TaskRecord | null> {
    const { kling, store } = this.options;
    let answer;
    try {
      answer = await kling.getLipSync(upstreamId, kind);
    } catch (error) {
      if (error instanceof UpstreamError && error.code === ErrorCode.NOT_FOUND) return null;
      throw error;
    }
    // An undocumented status is no news: the task keeps its last known state (the client logged a warning).
    if (!hasKnownStatus(answer.data)) return store.getByUpstreamId(upstreamId);
    return this.applyAnswer(fromKlingTask(answer.data), answer.requestId);
  }

  /** An upstream answer into the store, then to the hub when it changed what clients see; null for an unknown task. */
  private async applyAnswer(snapshot: TaskSnapshot, requestId: string | null): Promise<TaskRecord | null> {
    const { store, hub, now } = this.options;
    const result = await store.applySnapshot(snapshot, requestId, now());
    if (!result) return null;
    if (result.changed) {
      this.learn(result.record);
      hub.publish(result.record);
    }
    const watch = this.watches.get(snapshot.upstreamId);
    if (watch) {
      watch.answerState = result.record.state;
      watch.answerUpdatedAt = result.record.updatedAt;
      watch.answeredAt = result.record.checkedAt;
    }
    if (isTerminal(result.record.state)) this.untrack(snapshot.upstreamId);
    return result.record;
  }

  /** A change seen, whoever asked: how long the task took to get there, by the upstream's own clock. */
  private learn(record: TaskRecord): void {
    const { durations } = this.options;
    if (!durations) return;
    const took = record.updatedAt - record.createdAt;
    if (record.state === 'processing') durations.observeLeftSubmitted(taskClassOf(record), took);
    else if (isTerminal(record.state)) durations.observeFinished(taskClassOf(record), took);
  }

  private untrack(upstreamId: string): void {
    const watch = this.watches.get(upstreamId);
    if (!watch) return;
    if (watch.timer) clearTimeout(watch.timer);
    this.watches.delete(upstreamId);
    this.held.delete(upstreamId);
    this.options.metrics?.watchersActive.set(this.watches.size);
  }
}

/** Whether a list entry says more than the store holds: a later update, or another state at the same moment. */
function movedPast(snapshot: TaskSnapshot, watch: Watch): boolean {
  return (
    snapshot.updatedAt > watch.answerUpdatedAt ||
    (snapshot.updatedAt === watch.answerUpdatedAt && snapshot.state !== watch.answerState)
  );
}

function isRateLimited(error: unknown): boolean {
  return error instanceof UpstreamError && error.code === ErrorCode.RATE_LIMITED;
}

function describe(error: unknown): { code?: string; message: string } {
  if (error instanceof UpstreamError) return { code: error.code, message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}
