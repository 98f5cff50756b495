import type { TaskClass } from '../domain/task';

/** Recent tasks kept per mode: enough for stable quantiles, few enough that the model follows changes upstream. */
const SAMPLES_PER_MODE = 256;
/** Quantile steps of the duration distribution polled at: each poll closes one tenth of the finishes. */
const QUANTILE_STEPS = 10;
/** Finished tasks of a mode needed before its distribution is trusted (fewer: the watcher backs off as before). */
const MIN_SAMPLES = 5;

/** The most recent values, oldest overwritten first; sorted on demand (at most once per change). */
class RecentValues {
  private readonly values: number[] = [];
  private next = 0;
  private sorted: number[] | null = null;

  add(value: number): void {
    if (this.values.length < SAMPLES_PER_MODE) this.values.push(value);
    else this.values[this.next] = value;
    this.next = (this.next + 1) % SAMPLES_PER_MODE;
    this.sorted = null;
  }

  get size(): number {
    return this.values.length;
  }

  ascending(): number[] {
    this.sorted ??= [...this.values].sort((a, b) => a - b);
    return this.sorted;
  }
}

/**
 * What this deployment has seen of its tasks' lives, per mode, in memory: how long after creation they left
 * `submitted`, and how long they took to finish (both from the upstream's own timestamps, so not stretched by
 * how late we happened to look). The watcher (src/services/TaskWatcher.ts) polls at these times instead of a
 * blind backoff: a Kling task takes minutes, and a backoff capped at POLL_MAX_MS asks about it every few seconds.
 */
export class TaskDurations {
  private readonly leftSubmitted = new Map<TaskClass, RecentValues>();
  private readonly finished = new Map<TaskClass, RecentValues>();

  observeLeftSubmitted(mode: TaskClass, ms: number): void {
    if (ms >= 0) valuesOf(this.leftSubmitted, mode).add(ms);
  }

  observeFinished(mode: TaskClass, ms: number): void {
    if (ms >= 0) valuesOf(this.finished, mode).add(ms);
  }

  /** The shortest recent time to leave `submitted`, or null before any was seen. */
  shortestLeaveSubmittedMs(mode: TaskClass): number | null {
    const values = this.leftSubmitted.get(mode);
    return values && values.size > 0 ? values.ascending()[0] : null;
  }

  /** The longest recent duration, or null before enough tasks finished. */
  longestDurationMs(mode: TaskClass): number | null {
    const values = this.finished.get(mode);
    return values && values.size >= MIN_SAMPLES ? (values.ascending().at(-1) as number) : null;
  }

  /**
   * The next age (ms since creation) worth asking at, after `ageMs`: the next tenth-quantile of recent durations,
   * so that each poll catches about a tenth of the finishes and a task finishing between two polls waits at most
   * the gap between two quantiles. Past the longest duration seen, null (the caller falls back to its backoff).
   * Null too before enough tasks of this mode finished.
   */
  nextQuantileAgeMs(mode: TaskClass, ageMs: number): number | null {
    const values = this.finished.get(mode);
    if (!values || values.size < MIN_SAMPLES) return null;
    const sorted = values.ascending();
    // The quantiles move a little with every task that finishes: a poll made at one of them must not be followed
    // by another a few milliseconds later at its shifted neighbour, so the next one is at least half a step away.
    const halfStep = ((sorted[sorted.length - 1] - sorted[0]) / QUANTILE_STEPS) * 0.5;
    for (let step = 0; step <= QUANTILE_STEPS; step++) {
      const at = sorted[Math.min(sorted.length - 1, Math.round((step / QUANTILE_STEPS) * (sorted.length - 1)))];
      if (at > ageMs + halfStep) return at;
    }
    return null;
  }
}

function valuesOf(map: Map<TaskClass, RecentValues>, mode: TaskClass): RecentValues {
  let values = map.get(mode);
  if (!values) {
    values = new RecentValues();
    map.set(mode, values);
  }
  return values;
}
