import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Headers a preflight may always ask for. Requests usually name their own (Access-Control-Request-Headers),
 * which are echoed back instead, so a client library that adds one (apollographql-client-name, traceparent,
 * baggage…) is never refused by a fixed list it does not know.
 */
const DEFAULT_ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'idempotency-key',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
  'traceparent',
  'tracestate',
  'baggage',
].join(', ');

/** A header list as RFC 9110 spells one (tokens, commas, spaces), short enough to echo. */
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;
const MAX_REQUESTED_HEADERS_LENGTH = 1_000;

/** Browsers cap it (Chromium at 2 h); caching preflights that long saves a round trip per operation. */
const PREFLIGHT_MAX_AGE_SECONDS = '7200';

/**
 * CORS for browser clients. Returns true when it answered a preflight itself.
 * `*` allows every origin (development); a list allows those; an empty list sends no CORS headers.
 * Every answer varies by Origin, so a shared cache never hands one origin's answer to another.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, allowed: '*' | readonly string[]): boolean {
  res.setHeader('vary', 'Origin');
  const origin = req.headers.origin;
  if (!origin || (allowed !== '*' && !allowed.includes(origin))) return false;
  res.setHeader('access-control-allow-origin', allowed === '*' ? '*' : origin);
  if (req.method !== 'OPTIONS') return false;
  res.statusCode = 204;
  res.setHeader('vary', 'Origin, Access-Control-Request-Headers');
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  res.setHeader('access-control-allow-headers', allowedHeaders(req.headers['access-control-request-headers']));
  res.setHeader('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS);
  res.end();
  return true;
}

function allowedHeaders(requested: string | undefined): string {
  const list = requested?.trim();
  if (!list || list.length > MAX_REQUESTED_HEADERS_LENGTH || !HEADER_LIST.test(list)) return DEFAULT_ALLOWED_HEADERS;
  return list;
}
