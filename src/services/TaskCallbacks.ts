import type { Logger } from 'pino';
import { isTerminal } from '../domain/task';
import type { TaskStore } from '../store/TaskStore';
import type { RefreshDebounce } from './RefreshDebounce';
import type { TaskWatcher } from './TaskWatcher';

export interface TaskCallbacksOptions {
  store: TaskStore;
  watcher: TaskWatcher;
  log: Logger;
  now: () => number;
  freshnessMs: number;
  /** one callback-driven refresh per task per window */
  callbackDebounce: RefreshDebounce;
}

/** What an upstream callback (its URL token already checked by src/http/callbacks.ts) makes happen. */
export class TaskCallbacks {
  constructor(private readonly options: TaskCallbacksOptions) {}

  /**
   * An upstream callback for one of our records (its URL token already checked) is only a hint: the task is
   * fetched again, at most once per task per debounce window, and in the background, so the caller answers at once.
   */
  handleCallback(recordId: string): void {
    if (!this.options.callbackDebounce.claim(recordId)) return;
    this.refreshForCallback(recordId).catch((error: unknown) => {
      this.options.log.warn({ recordId, err: describe(error) }, 'callback refresh failed; the watcher will catch up');
    });
  }

  private async refreshForCallback(recordId: string): Promise<void> {
    const { store, watcher, now, freshnessMs } = this.options;
    const record = await store.getById(recordId);
    if (!record || record.upstreamId === null || isTerminal(record.state)) return;
    // Another instance (or a read) may just have asked: the store's answer is as good.
    if (now() - record.checkedAt <= freshnessMs) return;
    watcher.track(record);
    await watcher.refresh(record.upstreamId, record.kind);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
