import type { TaskRecord } from '../domain/task';

/** A write's result, and the record whose units this very write stored first (null when it stored none). */
export interface Charged<T> {
  value: T;
  charged: TaskRecord | null;
}

/**
 * The moment a task's units become known, told once per task: the stores decide it inside the write that
 * stores them, against the row as read in that same transaction (a row lock in PostgreSQL, the single writer in
 * SQLite), and units once stored never change (src/store/taskTransitions.ts). So of all instances, answers and
 * restarts, exactly one write sees `stored` without units and `record` with them.
 */
export function chargedBy(stored: Pick<TaskRecord, 'unitsChargedMicro'> | null, record: TaskRecord): TaskRecord | null {
  return record.unitsChargedMicro !== null && (stored?.unitsChargedMicro ?? null) === null ? record : null;
}

/** The stores' listeners, told after the write committed (src/metrics.ts counts units by tenant from here). */
export class UnitsChargedListeners {
  private readonly listeners: ((record: TaskRecord) => void)[] = [];

  add(listener: (record: TaskRecord) => void): void {
    this.listeners.push(listener);
  }

  /** Call once the write is durable; returns its value. */
  committed<T>(written: Charged<T>): T {
    const { charged } = written;
    if (charged) {
      for (const listener of this.listeners) {
        try {
          listener(charged);
        } catch {
          // a listener (a metric) must never fail the write it hears about
        }
      }
    }
    return written.value;
  }
}
