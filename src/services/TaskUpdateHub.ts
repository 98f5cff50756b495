import type { TaskRecord } from '../domain/task';

export type TaskListener = (record: TaskRecord) => void;

/**
 * Fans task changes out to everyone following a task in this process. The Redis hub extends it
 * across instances; both keep one listener set per task, so delivering one change costs the same
 * whether one client or thousands follow it.
 */
export interface TaskUpdateHub {
  /** by our own task id (TaskRecord.id: a queued task has no upstream id yet); returns the unsubscribe function */
  subscribe(taskId: string, listener: TaskListener): () => void;
  publish(record: TaskRecord): void;
  /** every change of every task (this instance's and, through Redis, the others'): the queue's dispatcher listens */
  subscribeAll(listener: TaskListener): () => void;
  listenerCount(): number;
  close(): Promise<void>;
}

export class InProcessTaskUpdateHub implements TaskUpdateHub {
  private readonly listeners = new Map<string, Set<TaskListener>>();
  private readonly everyTask = new Set<TaskListener>();
  private count = 0;

  subscribeAll(listener: TaskListener): () => void {
    this.everyTask.add(listener);
    return () => this.everyTask.delete(listener);
  }

  subscribe(taskId: string, listener: TaskListener): () => void {
    let set = this.listeners.get(taskId);
    if (!set) {
      set = new Set();
      this.listeners.set(taskId, set);
    }
    set.add(listener);
    this.count++;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.count--;
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(taskId) === set) this.listeners.delete(taskId);
    };
  }

  publish(record: TaskRecord): void {
    this.deliver(record);
  }

  /** Local delivery, also used by hubs that receive changes from elsewhere. */
  protected deliver(record: TaskRecord): void {
    for (const listener of this.everyTask) listener(record);
    const set = this.listeners.get(record.id);
    if (!set) return;
    for (const listener of [...set]) listener(record);
  }

  listenerCount(): number {
    return this.count;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.everyTask.clear();
    this.count = 0;
  }
}
