import type { Migration } from './Migration';

/**
 * Units charged per task (Kling's `final_unit_deduction`, docs/kling.md) and the usage reads over them:
 *
 * - `units_charged_micro`: whole millionths of a unit (src/domain/units.ts), so SUM is exact in both dialects;
 *   null until the upstream reports it.
 * - `tasks_usage`: the tenant's tasks by creation time, carrying what the usage totals and the monthly budget
 *   read (state, units), so both are answered from the index alone (an index-only scan) over any range. Partial
 *   like the list indexes: a `submit_failed` row answered its create with an error and is neither listed nor counted.
 *
 * Only a column and an index are added (never a table rebuild), so columns other migrations add are kept.
 */
const USAGE_INDEX = `CREATE INDEX tasks_usage ON tasks (tenant, created_at, state, units_charged_micro) WHERE state <> 'submit_failed'`;

export const unitsCharged: Migration = {
  version: 7,
  description: 'units charged per task; usage index',
  sqlite: [`ALTER TABLE tasks ADD COLUMN units_charged_micro INTEGER`, USAGE_INDEX],
  postgres: [`ALTER TABLE tasks ADD COLUMN units_charged_micro BIGINT`, USAGE_INDEX],
};
