import type { Logger } from 'pino';
import type { TaskStore } from '../store/TaskStore';
import type { SubmissionReconciler } from './SubmissionReconciler';
import type { TaskWatcher } from './TaskWatcher';

export interface RecoveryOptions {
  store: TaskStore;
  watcher: TaskWatcher;
  reconciler: SubmissionReconciler;
  log: Logger;
}

/** After a restart: follow every live task again and settle submissions whose answer was lost. */
export async function recoverTasks({ store, watcher, reconciler, log }: RecoveryOptions): Promise<void> {
  const active = await store.listActive();
  for (const record of active) watcher.track(record);
  log.info({ tasks: active.length }, 'following live tasks');
  await reconciler.reconcileOrphans(store.singleProcess).catch((error) => {
    log.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'could not reconcile lost submissions now; will retry',
    );
  });
}
