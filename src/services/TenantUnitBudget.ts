import { DAY_MS, startOfNextUtcMonth, startOfUtcMonth, type BudgetUse } from '../domain/usage';
import { unitsFromMicro } from '../domain/units';
import { QuotaExceededError } from '../errors';
import type { TaskStore } from '../store/TaskStore';

export interface TenantUnitBudgetOptions {
  store: TaskStore;
  /** TENANT_MONTHLY_UNITS: tenant → units per calendar month (UTC), whole millionths; tenants not named are unlimited */
  budgets: ReadonlyMap<string, number>;
  now: () => number;
}

/** How far back the largest charge of one task is looked for: a month, so last month's prices count on the 1st. */
const ESTIMATE_LOOK_BACK_MS = 31 * DAY_MS;

/**
 * The tenant's monthly unit budget, checked before anything that would start upstream work (every create and
 * identifyFaces go through `withRoom`). A task counts in the month it was created in (UTC), as in `usage`.
 *
 * Tasks whose units are not known yet (queued, or running at the upstream) count too, or a burst of creates could
 * overspend without bound: each at the largest charge of one task of this tenant in the last 31 days — the
 * upstream's own prices, as it reported them, never a guess of ours. A tenant with no such charge yet starts its
 * tasks one at a time until the first is charged. So a create is refused once
 * `charged + pending × largest charge ≥ budget`, and the overspend is at most one task's cost.
 */
export class TenantUnitBudget {
  /** per budgeted tenant, the end of the last check-and-start queued in this process */
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(private readonly options: TenantUnitBudgetOptions) {}

  /**
   * Runs `start` once the budget has room, one start of a budgeted tenant at a time in this process: `start` is
   * what makes the work count (a task's row, pending until charged; an identification's stored charge). Checked
   * concurrently, a burst would all see the same use and all start; in turn, each sees the ones before it. Across
   * instances, starts racing in the same instant may each pass once (docs/api.md, "Units and usage").
   */
  withRoom<T>(tenant: string, idempotencyKey: string | null, start: () => Promise<T>): Promise<T> {
    if (!this.options.budgets.has(tenant)) return start();
    const turn = (this.turns.get(tenant) ?? Promise.resolve())
      .then(() => this.ensureRoom(tenant, idempotencyKey))
      .then(start);
    const done = turn.catch(() => undefined); // a refusal or a failed start ends the turn all the same
    this.turns.set(tenant, done);
    void done.then(() => this.turns.get(tenant) === done && this.turns.delete(tenant));
    return turn;
  }

  /**
   * Throws QUOTA_EXCEEDED when `tenant` may not start another task. A retry with the idempotency key of a task
   * already made is never refused: it starts nothing new.
   */
  private async ensureRoom(tenant: string, idempotencyKey: string | null): Promise<void> {
    const { store, budgets, now } = this.options;
    const budget = budgets.get(tenant);
    if (budget === undefined) return;
    const at = now();
    const monthStart = startOfUtcMonth(at);
    const [tasks, [identified]] = await Promise.all([
      store.budgetUse(tenant, monthStart, at - ESTIMATE_LOOK_BACK_MS),
      store.faceUsage({ tenant, from: monthStart, to: at + 1, byDay: false }),
    ]);
    // identifyFaces calls are charged at once: they count with the tasks' units (and are never pending).
    const use = { ...tasks, chargedMicro: tasks.chargedMicro + identified.unitsChargedMicro };
    const refusal = refusalOf(budget, use);
    if (refusal === null) return;
    if (idempotencyKey !== null && (await store.getByIdempotencyKey(tenant, idempotencyKey, at))) return;
    throw new QuotaExceededError(`Tenant ${tenant}: ${refusal}`, {
      budget: unitsFromMicro(budget),
      used: unitsFromMicro(use.chargedMicro),
      pending: use.pending,
      estimatePerPendingTask: use.largestChargeMicro === null ? null : unitsFromMicro(use.largestChargeMicro),
      resetsAt: new Date(startOfNextUtcMonth(at)).toISOString(),
    });
  }
}

/** Why another task may not start, or null when it may. */
function refusalOf(budget: number, use: BudgetUse): string | null {
  const { chargedMicro, pending, largestChargeMicro } = use;
  if (chargedMicro >= budget) {
    return `${unitsFromMicro(chargedMicro)} units are charged this month: the monthly budget of ${unitsFromMicro(budget)} units (UTC calendar month) is used up`;
  }
  if (pending === 0) return null;
  if (largestChargeMicro === null) {
    return (
      `${pending} task(s) are still running and none has been charged yet to estimate them by; with a budget, ` +
      `tasks start one at a time until the first is charged`
    );
  }
  const committed = chargedMicro + pending * largestChargeMicro;
  if (committed < budget) return null;
  return (
    `${unitsFromMicro(chargedMicro)} units charged and ${pending} task(s) still running, counted at ` +
    `${unitsFromMicro(largestChargeMicro)} units each (the largest charge of one task in 31 days), leave no room ` +
    `in the monthly budget of ${unitsFromMicro(budget)} units (UTC calendar month)`
  );
}
