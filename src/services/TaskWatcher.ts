import type { Logger } from 'pino';
import { isTerminal, taskClassOf, type TaskClass, type TaskKind, type TaskRecord } from '../domain/task';
import { ErrorCode, UpstreamError } from '../errors';
import { fromKlingTask, hasKnownStatus } from '../mappers/klingTask';
import type { Metrics } from '../metrics';
import type { TaskStore } from '../store/TaskStore';
import type { KlingApi } from '../upstream/KlingApi';
import type { RateLimiter } from '../upstream/RateLimiter';
import type { TaskDurations } from './TaskDurations';
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

interface Watch {
  delay: number;
  timer: NodeJS.Timeout | null;
  /** the state this loop last saw, to start the backoff over when it moves */
  lastState: string;
  /** STANDARD tasks' mode, or ADVANCED: what durations are learnt by */
  mode: TaskClass;
  /** which endpoint family the task is polled at */
  kind: TaskKind;
  /** epoch ms, the upstream's creation time: where the task is in its life */
  createdAt: number;
  /** scheduled polls made so far */
  polls: number;
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
 */
export class TaskWatcher {
  private readonly watches = new Map<string, Watch>();
  private readonly inFlight = new Map<string, Promise<TaskRecord | null>>();
  /** tasks whose poll lease this instance held at its last attempt */
  private readonly held = new Set<string>();
  private readonly leaseTtlMs: number;
  private readonly leaseTimer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: TaskWatcherOptions) {
    this.leaseTtlMs = options.pollLeaseTtlMs ?? DEFAULT_POLL_LEASE_TTL_MS;
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

  async close(): Promise<void> {
    this.closed = true;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    await this.renewing;
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

  private async pollScheduled(upstreamId: string, watch: Watch): Promise<void> {
    watch.timer = null;
    if (this.watches.get(upstreamId) !== watch) return;
    const { pollMinMs, pollMaxMs, pollLease, log } = this.options;
    let nextDelay = Math.min(watch.delay * 2, pollMaxMs);
    watch.polls += 1;
    try {
      const mine = pollLease ? await this.acquire(upstreamId) : true;
      if (mine) {
        await this.options.pollPacer?.acquire();
        const record = await this.refresh(upstreamId, watch.kind);
        if (record === null || isTerminal(record.state)) return this.untrack(upstreamId);
        if (record.state !== watch.lastState) {
          watch.lastState = record.state;
          nextDelay = pollMinMs;
        }
        nextDelay = this.adaptiveDelay(watch) ?? nextDelay;
      }
    } catch (error) {
      if (error instanceof UpstreamError && error.code === ErrorCode.RATE_LIMITED) {
        nextDelay = Math.max(nextDelay, Math.min(RATE_LIMITED_DELAY_MS, pollMaxMs));
      }
      log.warn({ taskId: upstreamId, err: describe(error) }, 'task poll failed; will retry');
    }
    if (this.closed || this.watches.get(upstreamId) !== watch) return;
    watch.delay = nextDelay;
    this.schedule(upstreamId, watch);
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
    const { kling, store, hub, now } = this.options;
    let answer;
    try {
      answer = await kling.getLipSync(upstreamId, kind);
    } catch (error) {
      if (error instanceof UpstreamError && error.code === ErrorCode.NOT_FOUND) return null;
      throw error;
    }
    // An undocumented status is no news: the task keeps its last known state (the client logged a warning).
    if (!hasKnownStatus(answer.data)) return store.getByUpstreamId(upstreamId);
    const result = await store.applySnapshot(fromKlingTask(answer.data), answer.requestId, now());
    if (!result) return null;
    if (result.changed) {
      this.learn(result.record);
      hub.publish(result.record);
    }
    if (isTerminal(result.record.state)) this.untrack(upstreamId);
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

function describe(error: unknown): { code?: string; message: string } {
  if (error instanceof UpstreamError) return { code: error.code, message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}
