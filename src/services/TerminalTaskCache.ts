import type { TaskRecord } from '../domain/task';

/**
 * Finished tasks never change again, so reads of them can skip the store. Keyed by the id a reader asked with
 * (ours or, for old links, Kling's). Bounded; the oldest entry goes first (Map keeps insertion order), which is
 * all a cache of immutable values needs.
 */
export class TerminalTaskCache {
  private readonly entries = new Map<string, TaskRecord>();

  constructor(private readonly capacity: number) {}

  get(id: string): TaskRecord | undefined {
    return this.entries.get(id);
  }

  set(id: string, record: TaskRecord): void {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(id, record);
  }
}
