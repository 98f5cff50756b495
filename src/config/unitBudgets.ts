import { z } from 'zod';
import { microUnitsFromDecimal } from '../domain/units';
import { ConfigError } from './ConfigError';
import type { Variables } from './variables';

/** TENANT_MONTHLY_UNITS: `tenant=units` pairs (units a decimal such as 250 or 99.5), tenant → whole millionths. */
export const tenantMonthlyUnits = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const budgets = new Map<string, number>();
    for (const pair of value.split(',').map((p) => p.trim())) {
      const eq = pair.indexOf('=');
      const tenant = pair.slice(0, eq).trim();
      const units = microUnitsFromDecimal(pair.slice(eq + 1));
      const problem =
        eq <= 0 || !tenant || units === null
          ? 'must be tenant=units[,tenant=units…] with units a number such as 250 or 99.5'
          : budgets.has(tenant)
            ? `gives tenant ${tenant} two budgets`
            : null;
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      budgets.set(tenant, units as number);
    }
    return budgets;
  });

/** A budget for a tenant no token belongs to is a typo that would leave the real tenant without one. */
export function unitBudgets(v: Variables, tokens: ReadonlyMap<string, string> | null): ReadonlyMap<string, number> {
  const budgets = v.TENANT_MONTHLY_UNITS ?? new Map<string, number>();
  const tenants = new Set(tokens ? tokens.values() : ['default']);
  const unknown = [...budgets.keys()].find((tenant) => !tenants.has(tenant));
  if (unknown !== undefined) {
    throw new ConfigError(
      'TENANT_MONTHLY_UNITS',
      `names tenant ${unknown}, which no client token belongs to (without AUTH_TOKENS the only tenant is default)`,
    );
  }
  return budgets;
}
