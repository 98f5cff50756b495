import { recoverTasks } from '../services/recoverTasks';
import type { ArchiveParts } from '../services/archive/buildArchive';
import { TaskCountSampler } from '../services/TaskCountSampler';
import type { TaskStore } from '../store/TaskStore';
import type { TaskServices } from './buildTaskServices';
import type { Foundation } from './Foundation';
import type { Webhooks } from './buildWebhooks';

/**
 * The timers, once the server listens (their work may need its origin): recovery of what a previous run left,
 * then the reconciler, the queue, webhook deliveries, the archive and the task-count sampler.
 */
export async function startBackgroundWork(
  { config, log, metrics }: Foundation,
  deps: { store: TaskStore; tasks: TaskServices; webhooks: Webhooks; archive: ArchiveParts },
): Promise<{ taskCounts: TaskCountSampler }> {
  const { store, tasks, webhooks, archive } = deps;
  await recoverTasks({ store, watcher: tasks.watcher, reconciler: tasks.reconciler, log });
  tasks.reconciler.start(config.reconcileIntervalMs);
  tasks.dispatcher.start();
  if (webhooks.secrets.enabled) webhooks.worker.start();
  await archive.start();
  const taskCounts = new TaskCountSampler({ store, metrics, log });
  await taskCounts.start(config.taskCountIntervalMs);
  return { taskCounts };
}
