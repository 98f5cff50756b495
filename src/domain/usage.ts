/** What a tenant's tasks added up to over a time range (or one UTC day of it). */
export interface UsageTotals {
  /** epoch ms of the UTC day's start when grouped by day; null for the whole range */
  day: number | null;
  tasks: number;
  succeeded: number;
  failed: number;
  canceled: number;
  /** identify-face calls (they cost units too; src/services/FaceIdentification.ts) */
  identifications: number;
  /** whole millionths of a unit (src/domain/units.ts), tasks and identifications together */
  unitsChargedMicro: number;
}

/** What a tenant's identify-face calls added up to over a range (or one UTC day of it). */
export interface FaceUsage {
  day: number | null;
  identifications: number;
  unitsChargedMicro: number;
}

export interface UsageQuery {
  tenant: string;
  /** epoch ms, inclusive: tasks count under their createdAt */
  from: number;
  /** epoch ms, exclusive */
  to: number;
  byDay: boolean;
}

/** What the monthly unit budget (src/services/TenantUnitBudget.ts) weighs before a create. */
export interface BudgetUse {
  /** units charged for the tenant's tasks created since the month began (whole millionths) */
  chargedMicro: number;
  /** tasks created since the month began that may still be charged: queued or at the upstream, units not known yet */
  pending: number;
  /** the most one task of the tenant was charged over the look-back window (whole millionths); null when none was */
  largestChargeMicro: number | null;
}

export const DAY_MS = 86_400_000;

/** The longest range one usage query may cover: a year, leap day included. */
export const MAX_USAGE_RANGE_DAYS = 366;

/** Epoch ms of the first instant of the UTC calendar month `at` falls in. */
export function startOfUtcMonth(at: number): number {
  const date = new Date(at);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** Epoch ms of the first instant of the next UTC calendar month. */
export function startOfNextUtcMonth(at: number): number {
  const date = new Date(at);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}
