import type { Coordination } from '../coordination';
import { CallbackUrls } from '../services/CallbackUrls';
import type { QueueDispatcher } from '../services/QueueDispatcher';
import { RefreshDebounce } from '../services/RefreshDebounce';
import { SubmissionReconciler } from '../services/SubmissionReconciler';
import { TaskCallbacks } from '../services/TaskCallbacks';
import { TaskDurations } from '../services/TaskDurations';
import { TaskReads } from '../services/TaskReads';
import type { TaskSubmitter } from '../services/TaskSubmitter';
import { TaskWatcher } from '../services/TaskWatcher';
import type { TaskStore } from '../store/TaskStore';
import type { KlingApi } from '../upstream/KlingApi';
import { TokenBucketLimiter } from '../upstream/RateLimiter';
import { buildQueue } from './buildQueue';
import type { Foundation } from './Foundation';

/** What follows a task through its life: submitted, queued, watched, read, told by callbacks, reconciled. */
export interface TaskServices {
  /** null without PUBLIC_URL: Kling cannot call back, tasks are only polled */
  callbackUrls: CallbackUrls | null;
  watcher: TaskWatcher;
  reconciler: SubmissionReconciler;
  submitter: TaskSubmitter;
  dispatcher: QueueDispatcher;
  reads: TaskReads;
  callbacks: TaskCallbacks;
  /** how long a submitter owns its row */
  submitLeaseMs: number;
}

export async function buildTaskServices(
  { config, log, metrics, now }: Foundation,
  { store, kling, coordination }: { store: TaskStore; kling: KlingApi; coordination: Coordination },
): Promise<TaskServices> {
  const callbackUrls = config.publicUrl ? await CallbackUrls.open(store, config.publicUrl) : null;
  const watcher = new TaskWatcher({
    store,
    kling,
    hub: coordination.hub,
    log,
    metrics,
    now,
    pollMinMs: config.pollMinMs,
    pollMaxMs: config.pollMaxMs,
    pollLease: coordination.pollLease,
    pollLeaseTtlMs: config.pollLeaseTtlMs,
    // Scheduled polls get at most half of the upstream budget; creates and reads keep the rest.
    pollPacer: new TokenBucketLimiter({ ratePerSecond: Math.max(1, config.upstream.rateLimitRps / 2) }),
    durations: new TaskDurations(),
    callbackSafetyPollMs: callbackUrls ? config.callbackSafetyPollMs : undefined,
  });
  // A submitter owns its row for every try it may make, each bounded by the timeout, plus backoff.
  const submitLeaseMs = config.upstream.timeoutMs * 3 + 30_000;
  const reconciler = new SubmissionReconciler({
    store,
    kling,
    watcher,
    log,
    now,
    leaseMs: submitLeaseMs,
    graceMs: config.submitGraceMs,
  });
  const { submitter, dispatcher } = buildQueue(config.queue, {
    submitter: { store, kling, watcher, hub: coordination.hub, log, now, callbackUrls },
    metrics,
    submitLeaseMs,
  });
  const reads = new TaskReads({
    store,
    watcher,
    hub: coordination.hub,
    dispatcher,
    log,
    metrics,
    now,
    freshnessMs: config.freshnessMs,
  });
  const callbacks = new TaskCallbacks({
    store,
    watcher,
    log,
    now,
    freshnessMs: config.freshnessMs,
    callbackDebounce: new RefreshDebounce({ windowMs: config.callbackDebounceMs, maxKeys: 100_000 }),
  });
  return { callbackUrls, watcher, reconciler, submitter, dispatcher, reads, callbacks, submitLeaseMs };
}
