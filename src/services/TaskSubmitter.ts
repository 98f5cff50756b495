import type { Logger } from 'pino';
import { parseStoredRequest, type TaskRequest } from '../domain/advancedRequest';
import type { TaskMode, TaskRecord } from '../domain/task';
import { ErrorCode, RateLimitedError, UpstreamError } from '../errors';
import { toKlingAdvancedCreateBody } from '../mappers/klingAdvancedRequest';
import { toKlingCreateBody } from '../mappers/klingRequest';
import { fromKlingTask } from '../mappers/klingTask';
import type { ClaimedTask, TaskStore } from '../store/TaskStore';
import type { KlingApi } from '../upstream/KlingApi';
import type { CallbackUrls } from './CallbackUrls';
import type { TaskUpdateHub } from './TaskUpdateHub';
import type { TaskWatcher } from './TaskWatcher';

export interface TaskSubmitterOptions {
  store: TaskStore;
  kling: KlingApi;
  watcher: TaskWatcher;
  hub: TaskUpdateHub;
  log: Logger;
  now: () => number;
  /** this server's per-task callback receiver (null without PUBLIC_URL: no callbacks, polling only) */
  callbackUrls: CallbackUrls | null;
}

/** What the queue needs to hear about a submission's outcome. */
export interface SubmissionFeedback {
  /** Kling refused for its concurrency or rate limit: the task is queued again */
  refused(): void;
  accepted(): void;
}

/**
 * Sends one `submitting` row upstream (write-ahead row first, our id as external_task_id) and records the outcome.
 * Each submission is visible by row id while it runs, so a keyed retry or the create that queued the task shares it
 * instead of sending again.
 *
 * Outcomes: accepted → the Kling task is recorded and followed. 1302/1303 (or our own upstream limiter) → nothing was
 * made: the row goes back to `queued` in its old place and the queue backs off. Any other definite refusal → for a
 * create still waiting on its answer, `submit_failed` and the error (replayable by idempotency key, as before the
 * queue); for a task whose create was already answered QUEUED, a final FAILED with the reason. Unknown outcome
 * (timeout, reset) → the row stays `submitting` for the reconciler (src/services/SubmissionReconciler.ts).
 */
export class TaskSubmitter {
  private readonly submissions = new Map<string, Promise<TaskRecord>>();
  /** rows whose create request is still waiting for its answer: their errors go to that caller */
  private readonly awaited = new Set<string>();
  private feedback: SubmissionFeedback | null = null;

  constructor(private readonly options: TaskSubmitterOptions) {}

  /** The queue's dispatcher, told about refusals and acceptances (set once, at wiring). */
  reportTo(feedback: SubmissionFeedback): void {
    this.feedback = feedback;
  }

  /** The running submission of this row in this process, if any. */
  running(id: string): Promise<TaskRecord> | undefined {
    return this.submissions.get(id);
  }

  /** A create waits on its own task from before its row exists until it answers. */
  awaitedByCreate(id: string): () => void {
    this.awaited.add(id);
    return () => this.awaited.delete(id);
  }

  /** Starts the submission of a claimed queued task. */
  submitClaimed(claimed: ClaimedTask): Promise<TaskRecord> {
    return this.run(claimed.record, parseStoredRequest(claimed.request));
  }

  /** Runs one upstream submission of a row (already `submitting`, leased to this process). */
  run(record: TaskRecord, task: TaskRequest): Promise<TaskRecord> {
    const submission = this.submit(record, task).finally(() => this.submissions.delete(record.id));
    submission.catch(() => undefined); // waiters and the creator handle the error; never an unhandled rejection
    this.submissions.set(record.id, submission);
    return submission;
  }

  private async submit(record: TaskRecord, task: TaskRequest): Promise<TaskRecord> {
    const { kling, store, watcher, hub, now, log, callbackUrls } = this.options;
    const ownCallbackUrl = callbackUrls?.urlFor(record.id) ?? null;
    let answer;
    try {
      // The endpoint family of the task's kind; the same write-ahead, outcomes and reconciliation for both.
      answer =
        task.kind === 'ADVANCED'
          ? await kling.createAdvancedLipSync(toKlingAdvancedCreateBody(task.request, record.id, ownCallbackUrl))
          : await kling.createLipSync(
              toKlingCreateBody(task.request, record.mode as TaskMode, record.id, ownCallbackUrl),
            );
    } catch (error) {
      return this.recordFailedSubmission(record, error);
    }
    const accepted = await store.markAccepted(record.id, fromKlingTask(answer.data), answer.requestId, now());
    this.feedback?.accepted();
    // debug: the operation's own log line already carries the upstream request id
    log.debug(
      { taskId: accepted.upstreamId, recordId: record.id, upstreamRequestId: answer.requestId },
      'task submitted',
    );
    hub.publish(accepted);
    watcher.track(accepted);
    return accepted;
  }

  /** Returns the row as it now stands, or throws the error for a create still waiting on it. */
  private async recordFailedSubmission(record: TaskRecord, error: unknown): Promise<TaskRecord> {
    const { store, now, log, hub } = this.options;
    const waiting = this.awaited.has(record.id);
    try {
      if (isConcurrencyRefusal(error)) {
        // Nothing was made upstream: the task waits in the queue again, in its old place.
        const requeued = await store.requeue(record.id, now());
        if (error instanceof UpstreamError) this.feedback?.refused();
        if (requeued) {
          hub.publish(requeued);
          return requeued;
        }
      } else if (error instanceof UpstreamError && !error.outcomeUnknown) {
        if (!waiting) {
          const failed = await store.failSubmission(record.id, error.toStored(), now());
          if (failed) {
            hub.publish(failed);
            return failed;
          }
        } else await store.markSubmitFailed(record.id, error.toStored(), now());
      } else {
        // The upstream may have the task: leave the row `submitting` for reconciliation, free to claim now.
        await store.releaseLease(record.id);
      }
    } catch (storeError) {
      log.error({ recordId: record.id, err: String(storeError) }, 'could not record a failed submission');
    }
    if (waiting) throw error;
    log.warn({ recordId: record.id, err: String(error) }, 'a queued task could not be submitted');
    return (await store.getById(record.id).catch(() => null)) ?? record;
  }
}

/** Kling's 1302/1303 (its concurrency or rate limit), or our own upstream limiter: nothing was created. */
function isConcurrencyRefusal(error: unknown): boolean {
  if (error instanceof RateLimitedError) return true;
  return error instanceof UpstreamError && error.code === ErrorCode.RATE_LIMITED && !error.outcomeUnknown;
}
