import type { UsageTotals } from '../domain/usage';
import { unitsFromMicro } from '../domain/units';
import type { UsageReport } from '../services/TenantUsage';
import type { LipSyncUsage } from '../types/LipSyncUsage';
import type { LipSyncUsageDay } from '../types/LipSyncUsageDay';

/** The GraphQL view of a usage report. */
export function toLipSyncUsage(report: UsageReport): LipSyncUsage {
  return {
    from: new Date(report.from),
    to: new Date(report.to),
    ...counts(report.total),
    days: report.days && report.days.map(toUsageDay),
    archivedBytes: report.archivedBytes,
  };
}

function toUsageDay(day: UsageTotals): LipSyncUsageDay {
  return { date: new Date(day.day ?? 0).toISOString().slice(0, 10), ...counts(day) };
}

function counts(totals: UsageTotals) {
  return {
    tasks: totals.tasks,
    succeeded: totals.succeeded,
    failed: totals.failed,
    canceled: totals.canceled,
    identifications: totals.identifications,
    unitsCharged: unitsFromMicro(totals.unitsChargedMicro),
  };
}
