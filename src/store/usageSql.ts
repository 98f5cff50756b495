import { DAY_MS, type BudgetUse, type UsageQuery, type UsageTotals } from '../domain/usage';

/**
 * The usage reads (migration 007), in the SQL both dialects share. Every one is a range of the `tasks_usage`
 * index — (tenant, created_at) first, with state and units in the index — so it reads the index alone and as many
 * entries as the range holds. A `submit_failed` row (a create answered with an error) is not a task the tenant has.
 */
const COUNTED = `tenant = :tenant AND state <> 'submit_failed'`;

const TOTALS = `COUNT(*) AS tasks,
  SUM(CASE WHEN state = 'succeeded' THEN 1 ELSE 0 END) AS succeeded,
  SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed,
  SUM(CASE WHEN state = 'canceled' THEN 1 ELSE 0 END) AS canceled,
  SUM(units_charged_micro) AS units`;

/** Not charged yet but possibly about to be: queued here or live at the upstream. */
const PENDING_STATES = `('queued', 'submitting', 'submitted', 'processing')`;

export const USAGE_SQL = {
  usageTotal: `SELECT ${TOTALS} FROM tasks WHERE ${COUNTED} AND created_at >= :from AND created_at < :to`,
  // Integer division in both dialects (INTEGER / BIGINT): the UTC day a task was created on.
  usageByDay: `SELECT created_at / 86400000 AS day, ${TOTALS} FROM tasks
    WHERE ${COUNTED} AND created_at >= :from AND created_at < :to GROUP BY created_at / 86400000 ORDER BY 1`,
  // One range from the look-back start (never later than the month's start) to now.
  budgetUse: `SELECT
      SUM(CASE WHEN created_at >= :monthStart THEN units_charged_micro END) AS charged,
      SUM(CASE WHEN created_at >= :monthStart AND units_charged_micro IS NULL AND state IN ${PENDING_STATES} THEN 1 ELSE 0 END) AS pending,
      MAX(CASE WHEN units_charged_micro > 0 THEN units_charged_micro END) AS largest
    FROM tasks WHERE ${COUNTED} AND created_at >= :since`,
} as const;

/** A totals row as both drivers return it: pg hands COUNT and SUM back as strings, SUM of no rows is NULL. */
export interface UsageRow {
  day?: number | string;
  tasks: number | string;
  succeeded: number | string | null;
  failed: number | string | null;
  canceled: number | string | null;
  units: number | string | null;
}

export interface BudgetRow {
  charged: number | string | null;
  pending: number | string | null;
  largest: number | string | null;
}

export function usageStatement(query: UsageQuery): 'usageTotal' | 'usageByDay' {
  return query.byDay ? 'usageByDay' : 'usageTotal';
}

export function usageParams(query: UsageQuery): Record<string, string | number> {
  return { tenant: query.tenant, from: query.from, to: query.to };
}

export function budgetParams(tenant: string, monthStart: number, since: number): Record<string, string | number> {
  return { tenant, monthStart, since: Math.min(since, monthStart) };
}

/** Rows to totals: the whole range is always one row (COUNT without GROUP BY), by day one row per day with tasks. */
export function usageTotals(rows: readonly UsageRow[]): UsageTotals[] {
  return rows.map((row) => ({
    day: row.day === undefined ? null : Number(row.day) * DAY_MS,
    tasks: Number(row.tasks),
    succeeded: Number(row.succeeded ?? 0),
    failed: Number(row.failed ?? 0),
    canceled: Number(row.canceled ?? 0),
    identifications: 0,
    unitsChargedMicro: Number(row.units ?? 0),
  }));
}

export function budgetUse(row: BudgetRow | undefined): BudgetUse {
  return {
    chargedMicro: Number(row?.charged ?? 0),
    pending: Number(row?.pending ?? 0),
    largestChargeMicro: row?.largest === null || row?.largest === undefined ? null : Number(row.largest),
  };
}
