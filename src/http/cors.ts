import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOWED_HEADERS =
  'content-type, authorization, idempotency-key, apollo-require-preflight, x-apollo-operation-name, apollo-query-plan-experimental';

/**
 * CORS for browser clients. Returns true when it answered a preflight itself.
 * `*` allows every origin (development); a list allows those; an empty list sends no CORS headers.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, allowed: '*' | readonly string[]): boolean {
  const origin = req.headers.origin;
  if (!origin || (allowed !== '*' && !allowed.includes(origin))) return false;
  res.setHeader('access-control-allow-origin', allowed === '*' ? '*' : origin);
  if (allowed !== '*') res.setHeader('vary', 'Origin');
  if (req.method !== 'OPTIONS') return false;
  res.statusCode = 204;
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
  res.setHeader('access-control-max-age', '600');
  res.end();
  return true;
}
