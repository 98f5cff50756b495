import { UnauthenticatedError } from '../errors';

export const DEFAULT_TENANT = 'default';

/**
 * Tells the tenant from an Authorization value. With no tokens configured the server is open and single-tenant.
 * Throws UNAUTHENTICATED for a missing or unknown token (the token itself is never echoed).
 */
export function tenantOf(authorization: string | undefined | null, tokens: ReadonlyMap<string, string> | null): string {
  if (!tokens) return DEFAULT_TENANT;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const tenant = match ? tokens.get(match[1]) : undefined;
  if (!tenant) throw new UnauthenticatedError();
  return tenant;
}
