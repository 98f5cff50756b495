import type { Config } from '../config';
import type { Metrics } from '../metrics';
import { QueueDispatcher } from '../services/QueueDispatcher';
import { TaskSubmitter, type TaskSubmitterOptions } from '../services/TaskSubmitter';

/** The queue in front of Kling's concurrency limit: the submitter sends a task, the dispatcher decides when. */
export function buildQueue(
  queue: Config['queue'],
  deps: { submitter: TaskSubmitterOptions; metrics: Metrics; submitLeaseMs: number },
): { submitter: TaskSubmitter; dispatcher: QueueDispatcher } {
  const { store, hub, log, now } = deps.submitter;
  const submitter = new TaskSubmitter(deps.submitter);
  const dispatcher = new QueueDispatcher({
    store,
    hub,
    log,
    metrics: deps.metrics,
    now,
    maxConcurrent: queue.maxConcurrent,
    maxWaitMs: queue.maxWaitMs,
    submitLeaseMs: deps.submitLeaseMs,
    submit: (claimed) => void submitter.submitClaimed(claimed),
  });
  submitter.reportTo(dispatcher);
  return { submitter, dispatcher };
}
