import type { TaskRecord } from '../domain/task';

export type TaskListener = (record: TaskRecord) => void;

/**
 * Fans task changes out to everyone following a task in this process. The Redis hub extends it
 * across instances; both keep one listener set per task, so delivering one change costs the same
 * whether one client or thousands follow it.
 */
export interface TaskUpdateHub {
  /** returns the unsubscribe function */
  subscribe(upstreamId: string, listener: TaskListener): () => void;
  publish(record: TaskRecord): void;
  listenerCount(): number;
  close(): Promise<void>;
}

export class InProcessTaskUpdateHub implements TaskUpdateHub {
  private readonly listeners = new Map<string, Set<TaskListener>>();
  private count = 0;

  subscribe(upstreamId: string, listener: TaskListener): () => void {
    let set = this.listeners.get(upstreamId);
    if (!set) {
      set = new Set();
      this.listeners.set(upstreamId, set);
    }
    set.add(listener);
    this.count++;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.count--;
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(upstreamId) === set) this.listeners.delete(upstreamId);
    };
  }

  publish(record: TaskRecord): void {
    this.deliver(record);
  }

  /** Local delivery, also used by hubs that receive changes from elsewhere. */
  protected deliver(record: TaskRecord): void {
    if (record.upstreamId === null) return;
    const set = this.listeners.get(record.upstreamId);
    if (!set) return;
    for (const listener of [...set]) listener(record);
  }

  listenerCount(): number {
    return this.count;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.count = 0;
  }
}
