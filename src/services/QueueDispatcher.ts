import type { Logger } from 'pino';
import { isTerminal, type TaskIntent, type TaskRecord } from '../domain/task';
import type { Metrics } from '../metrics';
import type { ClaimedTask, TaskStore } from '../store/TaskStore';
import type { ClaimedIntentResult } from '../store/claimedIntent';
import type { TaskUpdateHub } from './TaskUpdateHub';

export interface QueueDispatcherOptions {
  store: TaskStore;
  hub: TaskUpdateHub;
  log: Logger;
  metrics?: Metrics;
  now: () => number;
  /** live Kling tasks at most, cluster-wide (KLING_MAX_CONCURRENT_TASKS); null = no local cap (Kling's 1303 still queues) */
  maxConcurrent: number | null;
  /** a task queued longer becomes FAILED (QUEUE_MAX_WAIT_MINUTES) */
  maxWaitMs: number;
  /** the lease a claimed row's submitter holds (as for a create's own submission) */
  submitLeaseMs: number;
  /** sends one claimed task upstream; registered with the submitter before this returns */
  submit: (claimed: ClaimedTask) => void;
  /** how often the queue is looked at without any event (expiry, other instances' slots, metrics) */
  tickMs?: number;
}

/** Kling asks clients to back off at least a second after 1302/1303 (docs/kling.md, "Error codes"). */
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;
/** rows claimed per round without a cap, so one round's submissions stay a bounded burst */
const UNCAPPED_BATCH = 50;
/** after a refusal without a local cap, how long tasks are sent one per round */
const PROBING_MS = 60_000;
/** queue positions are recomputed at most this often, however many readers ask */
const POSITIONS_MAX_AGE_MS = 500;

/**
 * Submits queued tasks when Kling has room: on every create, whenever a task ends (heard through the hub, from
 * any instance), when a backoff after Kling's 1302/1303 ends, and on a slow tick. Which rows go, and how many, is
 * decided by the store in one atomic claim (fair order, cluster-wide cap: TaskStore.claimQueued), so several
 * instances can run dispatchers over one queue. Claimed rows are `submitting` with a lease before anything is
 * sent: from there the write-ahead + external_task_id path of a create takes over (src/services/TaskSubmitter.ts).
 */
export class QueueDispatcher {
  private round: Promise<void> | null = null;
  private nextRound: Promise<void> | null = null;
  private backoffMs = 0;
  private backoffUntil = 0;
  /** when Kling last refused a create for its limit (0 = never) */
  private lastRefusedAt = 0;
  private backoffTimer: NodeJS.Timeout | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private positions: { at: number; order: Promise<Map<string, number>> } | null = null;
  private closed = false;

  constructor(private readonly options: QueueDispatcherOptions) {}

  start(): void {
    this.unsubscribe = this.options.hub.subscribeAll((record: TaskRecord) => {
      // A task that ends frees a slot; a requeued or canceled one changes the order.
      if (isTerminal(record.state) || record.state === 'queued') this.positions = null;
      if (isTerminal(record.state)) this.slotFreed();
    });
    this.tickTimer = setInterval(() => void this.tick(), this.options.tickMs ?? 1_000);
    this.tickTimer.unref();
    void this.tick();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    await this.nextRound?.catch(() => undefined);
    await this.round?.catch(() => undefined);
  }

  /**
   * Claims and starts what the cap allows now. Rounds never overlap in one process: a call during a round waits
   * for one more round after it, so a task inserted just before the call is always considered.
   */
  dispatch(): Promise<void> {
    if (this.round) {
      this.nextRound ??= this.round.then(() => {
        this.nextRound = null;
        return this.dispatch();
      });
      return this.nextRound;
    }
    this.round = this.claimAndSubmit()
      .catch((error: unknown) => this.options.log.warn({ err: String(error) }, 'queue dispatch failed; will retry'))
      .finally(() => {
        this.round = null;
      });
    return this.round;
  }

  /**
   * Writes a create's intent: already claimed when the queue is empty and a slot is free (one write instead of an
   * insert and a claim round: TaskStore.insertIntentClaimed, with the claim's cap and fairness), unless Kling's
   * refusals pause the queue or meter it one task per round; then queued, and the caller dispatches.
   */
  insert(intent: TaskIntent, at: number): Promise<ClaimedIntentResult> {
    const { store, maxConcurrent } = this.options;
    const metered = maxConcurrent === null && at - this.lastRefusedAt < PROBING_MS;
    if (this.closed || at < this.backoffUntil || metered)
      return store.insertIntent(intent, at).then((result) => ({ ...result, claimed: false }));
    return store.insertIntentClaimed(intent, maxConcurrent, at);
  }

  /**
   * Kling refused a create for its concurrency or rate limit: pause, doubling with each round that is refused, until
   * a create is accepted. Refusals of creates sent together count once (they are one answer to one burst).
   */
  refused(): void {
    this.options.metrics?.upstreamConcurrencyRefusals.inc();
    const now = this.options.now();
    this.lastRefusedAt = now;
    this.positions = null;
    if (now < this.backoffUntil) return;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(FIRST_BACKOFF_MS, this.backoffMs * 2));
    this.pauseUntil(now + this.backoffMs);
    this.options.log.info({ backoffMs: this.backoffMs }, 'upstream is at its concurrency limit: queued tasks wait');
  }

  accepted(): void {
    this.backoffMs = 0;
    this.positions = null;
  }

  /**
   * A task ended, so Kling has a slot again: the wait for it need not run its full doubled course, only Kling's
   * minimum of a second after the last refusal.
   */
  private slotFreed(): void {
    const earliest = this.lastRefusedAt + FIRST_BACKOFF_MS;
    if (this.backoffUntil > earliest) this.pauseUntil(Math.max(earliest, this.options.now()));
    void this.dispatch();
  }

  private pauseUntil(until: number): void {
    this.backoffUntil = until;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = setTimeout(() => void this.dispatch(), Math.max(0, until - this.options.now()));
    this.backoffTimer.unref();
  }

  /** 1 = next to be submitted; null when the task is not queued. */
  async positionOf(id: string): Promise<number | null> {
    const now = this.options.now();
    const cached = this.positions && now - this.positions.at <= POSITIONS_MAX_AGE_MS ? this.positions : null;
    const order = cached ?? this.refreshPositions(now);
    const position = (await order.order).get(id);
    if (position !== undefined) return position;
    // Not in a shared, slightly older order: the task may have been queued since; one fresh look decides.
    return cached ? ((await this.refreshPositions(now).order).get(id) ?? null) : null;
  }

  private refreshPositions(now: number): { at: number; order: Promise<Map<string, number>> } {
    const order = this.options.store.queueOrder().then((ids) => new Map(ids.map((taskId, i) => [taskId, i + 1])));
    const positions = { at: now, order };
    order.catch(() => {
      if (this.positions === positions) this.positions = null;
    });
    this.positions = positions;
    return positions;
  }

  private async claimAndSubmit(): Promise<void> {
    const { store, now, maxConcurrent, submitLeaseMs, submit } = this.options;
    for (;;) {
      if (this.closed || now() < this.backoffUntil) return;
      const at = now();
      // Without a local cap, Kling's own limit is only learnt from its refusals: for a while after one, tasks go one
      // per round (each ended task, tick or backoff) instead of in bursts that would mostly be refused again.
      const batch = maxConcurrent ?? (at - this.lastRefusedAt < PROBING_MS ? 1 : UNCAPPED_BATCH);
      const claimed = await store.claimQueued(maxConcurrent, batch, at + submitLeaseMs, at);
      if (claimed.length > 0) this.positions = null;
      for (const task of claimed) submit(task);
      // Without a cap a full batch may leave more behind; with one, the claim took all the room there was.
      if (maxConcurrent !== null || batch === 1 || claimed.length < batch) return;
    }
  }

  /** Expires tasks queued too long, refreshes the gauges, and dispatches when anything waits (e.g. a slot freed elsewhere). */
  private async tick(): Promise<void> {
    const { store, hub, now, maxWaitMs, metrics, log, maxConcurrent } = this.options;
    try {
      let stats = await store.queueStats();
      if (stats.oldestQueuedAt !== null && now() - stats.oldestQueuedAt > maxWaitMs) {
        const minutes = Math.round(maxWaitMs / 60_000);
        const expired = await store.expireQueued(
          now() - maxWaitMs,
          `Waited in the queue longer than ${minutes} minutes (QUEUE_MAX_WAIT_MINUTES) without a free concurrency slot at the upstream; never sent, nothing charged`,
          now(),
        );
        for (const record of expired) hub.publish(record);
        log.warn({ tasks: expired.length }, 'queued tasks expired');
        stats = await store.queueStats();
      }
      metrics?.queueDepth.set(stats.depth);
      metrics?.queueOldestAgeSeconds.set(stats.oldestQueuedAt === null ? 0 : (now() - stats.oldestQueuedAt) / 1000);
      metrics?.liveUpstreamTasks.set(stats.live);
      metrics?.maxConcurrentTasks.set(maxConcurrent ?? -1);
      if (stats.depth > 0) await this.dispatch();
    } catch (error) {
      log.warn({ err: String(error) }, 'queue check failed; will retry');
    }
  }
}
