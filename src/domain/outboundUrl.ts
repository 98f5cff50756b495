import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

/**
 * Which URLs someone else may make this server (or Kling on its behalf) fetch or call: media URLs today,
 * webhook targets and archive downloads tomorrow. One rule for all of them, so an address refused in one
 * place cannot be smuggled in through another.
 */
export interface OutboundUrlPolicy {
  /** accept `http:` besides `https:` (ALLOW_HTTP_MEDIA_URLS) */
  allowHttp: boolean;
  /** accept loopback, private, link-local and other non-public hosts (ALLOW_PRIVATE_URLS) */
  allowPrivate: boolean;
}

export const STRICT_OUTBOUND_URL_POLICY: OutboundUrlPolicy = Object.freeze({ allowHttp: false, allowPrivate: false });

export const MAX_OUTBOUND_URL_LENGTH = 2048;

/**
 * Null when `value` may be called under `policy`, otherwise what is wrong (to follow the field's name).
 * The URL is read by the WHATWG parser, as fetch reads it: `http://2130706433`, `0x7f.1`, `0177.0.0.1` and
 * `127.1` all come out as 127.0.0.1, and `[::ffff:127.0.0.1]` as an IPv4-mapped IPv6 address, so every
 * spelling of an address meets the same check. Host names are not resolved here (Kling resolves them).
 */
export function outboundUrlProblem(value: string, policy: OutboundUrlPolicy): string | null {
  if (value.length > MAX_OUTBOUND_URL_LENGTH) return `must be at most ${MAX_OUTBOUND_URL_LENGTH} characters`;
  const url = parseUrl(value);
  if (!url || !url.hostname) return 'must be an absolute https URL';
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) {
    return policy.allowHttp ? 'must be an http(s) URL' : 'must be an https URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  if (policy.allowPrivate) return null;
  return hostProblem(url.hostname);
}

/** The form that was checked: what is sent on, so no other parser can read a different host from the text. */
export function normalizedUrl(value: string): string {
  return new URL(value).href;
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

function hostProblem(hostname: string): string | null {
  const host = hostname.replace(/\.$/, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return 'must not point at localhost';
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  // The parser has already turned every IPv4 spelling into dotted decimal, so the strict check is enough.
  if (isIP(literal) === 0) return null; // a name: public as far as this server can tell
  return addressProblem(literal);
}

/**
 * Null for a public unicast IP address, otherwise what is wrong: the same rule for a literal in a URL and for
 * the address a name resolves to when this server connects (src/domain/guardedLookup.ts, used by
 * src/services/webhooks/webhookTransport.ts).
 */
export function addressProblem(ip: string): string | null {
  const range = addressRange(ip);
  return range === 'unicast' ? null : `must not point at a ${range} address`;
}

/**
 * An IP address's range as ipaddr.js names it (`unicast` = public; `loopback`, `private`, `linkLocal`…), an
 * IPv4-mapped IPv6 address judged as its IPv4 address.
 */
function addressRange(literal: string): string {
  let address = ipaddr.parse(literal);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  return address.range();
}
