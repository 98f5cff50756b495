import type { Variables } from './variables';

/** CORS_ORIGINS: '*', a comma-separated list, or unset (open outside production, closed in it). */
export function corsOrigins(v: Variables, production: boolean): '*' | string[] {
  if (v.CORS_ORIGINS === undefined) return production ? [] : '*';
  const trimmed = v.CORS_ORIGINS.trim();
  if (trimmed === '*') return '*';
  return trimmed
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
}
