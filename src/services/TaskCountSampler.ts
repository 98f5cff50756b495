import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { TaskStore } from '../store/TaskStore';

export interface TaskCountSamplerOptions {
  store: TaskStore;
  metrics: Metrics;
  log: Logger;
}

/**
 * Keeps `lipsync_tasks_total` current on a timer of its own. Counting is a full scan of the task table, so a
 * scrape (which anyone able to reach /metrics can send at any rate) only reads the last sample.
 */
export class TaskCountSampler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: TaskCountSamplerOptions) {}

  /** Counts now, then every `intervalMs` until stopped; a round still running is not started twice. */
  start(intervalMs: number): Promise<void> {
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
    return this.sample();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private sample(): Promise<void> {
    this.running ??= this.count().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async count(): Promise<void> {
    const { store, metrics, log } = this.options;
    try {
      const counts = await store.countByState();
      metrics.tasks.reset();
      for (const [state, count] of Object.entries(counts)) metrics.tasks.set({ status: state }, count ?? 0);
    } catch (error) {
      log.warn({ err: String(error) }, 'task counts unavailable for lipsync_tasks_total');
    }
  }
}
