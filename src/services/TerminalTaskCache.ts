import type { TaskRecord } from '../domain/task';

/**
 * Finished tasks never change again, so reads of them can skip the store. Bounded; the oldest entry goes
 * first (Map keeps insertion order), which is all a cache of immutable values needs.
 */
export class TerminalTaskCache {
  private readonly entries = new Map<string, TaskRecord>();

  constructor(private readonly capacity: number) {}

  get(upstreamId: string): TaskRecord | undefined {
    return this.entries.get(upstreamId);
  }

  set(record: TaskRecord): void {
    if (record.upstreamId === null) return;
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(record.upstreamId, record);
  }
}
