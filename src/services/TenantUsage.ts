import { MAX_USAGE_RANGE_DAYS, DAY_MS, startOfUtcMonth, type FaceUsage, type UsageTotals } from '../domain/usage';
import { BadUserInputError } from '../errors';
import type { TaskStore } from '../store/TaskStore';

export interface UsageWindow {
  /** epoch ms, inclusive */
  from: number;
  /** epoch ms, exclusive */
  to: number;
}

export interface UsageReport extends UsageWindow {
  total: UsageTotals;
  /** one entry per UTC day with tasks, oldest first; null unless asked for */
  days: UsageTotals[] | null;
  /** bytes the result archive holds for these tasks now (src/services/archive/) */
  archivedBytes: number;
}

/**
 * A tenant's usage over a range of creation times: a task counts under its `createdAt` (when this server accepted
 * it), in [from, to). `to` defaults to now, `from` to the start of the UTC month the range ends in: "this month so
 * far", or with `to: "2026-03-01T00:00:00Z"` all of February.
 */
export class TenantUsage {
  constructor(private readonly options: { store: TaskStore; now: () => number }) {}

  async report(tenant: string, from: Date | null, to: Date | null, byDay: boolean): Promise<UsageReport> {
    const window = usageWindow(from, to, this.options.now());
    const { store } = this.options;
    const query = { tenant, ...window, byDay };
    const [taskRows, faceRows, archivedBytes] = await Promise.all([
      store.usage(query),
      store.faceUsage(query),
      store.archives.archivedBytes(tenant, window.from, window.to),
    ]);
    const rows = withIdentifications(taskRows, faceRows);
    // The days add up to the total exactly: every figure is a whole number (units in millionths).
    return byDay
      ? { ...window, total: sum(rows), days: rows, archivedBytes }
      : { ...window, total: rows[0], days: null, archivedBytes };
  }
}

/** Identifications added to the tasks' rows of the same day (or the one row of the range); a day may have only them. */
function withIdentifications(tasks: readonly UsageTotals[], faces: readonly FaceUsage[]): UsageTotals[] {
  const byDay = new Map(tasks.map((row) => [row.day, { ...row }]));
  for (const face of faces) {
    const row = byDay.get(face.day) ?? { ...emptyTotals(), day: face.day };
    row.identifications += face.identifications;
    row.unitsChargedMicro += face.unitsChargedMicro;
    byDay.set(face.day, row);
  }
  return [...byDay.values()].sort((a, b) => (a.day ?? 0) - (b.day ?? 0));
}

function emptyTotals(): UsageTotals {
  return { day: null, tasks: 0, succeeded: 0, failed: 0, canceled: 0, identifications: 0, unitsChargedMicro: 0 };
}

function sum(days: readonly UsageTotals[]): UsageTotals {
  const total = emptyTotals();
  for (const day of days) {
    total.tasks += day.tasks;
    total.succeeded += day.succeeded;
    total.failed += day.failed;
    total.canceled += day.canceled;
    total.identifications += day.identifications;
    total.unitsChargedMicro += day.unitsChargedMicro;
  }
  return total;
}

/** The range asked for, with its defaults; BAD_USER_INPUT naming the field for a reversed or too long range. */
export function usageWindow(from: Date | null, to: Date | null, now: number): UsageWindow {
  const end = to ? to.getTime() : now;
  // `to` is exclusive: given as the first instant of a month, the range is the month before it.
  const start = from ? from.getTime() : startOfUtcMonth(to ? end - 1 : end);
  if (start > end) throw new BadUserInputError([{ field: 'to', message: 'to must not be before from' }]);
  // Only a given `from` can be that far back: the default is the start of `to`'s month.
  if (end - start > MAX_USAGE_RANGE_DAYS * DAY_MS) {
    throw new BadUserInputError([
      { field: 'from', message: `from must be at most ${MAX_USAGE_RANGE_DAYS} days before to` },
    ]);
  }
  return { from: start, to: end };
}
