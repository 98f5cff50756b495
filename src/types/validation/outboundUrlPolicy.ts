import { STRICT_OUTBOUND_URL_POLICY, type OutboundUrlPolicy } from '../../domain/outboundUrl';

/**
 * The URL policy in force while one argument is validated. Decorator rules are fixed when the schema is built
 * (once per process, shared by every server in it), but the policy is configuration: validateArgument sets it
 * from the request's context around a synchronous validateSync, so no other validation can run in between.
 * Outside such a call the strict policy holds.
 */
let current: OutboundUrlPolicy = STRICT_OUTBOUND_URL_POLICY;

export function currentOutboundUrlPolicy(): OutboundUrlPolicy {
  return current;
}

export function withOutboundUrlPolicy<T>(policy: OutboundUrlPolicy, validate: () => T): T {
  const previous = current;
  current = policy;
  try {
    return validate();
  } finally {
    current = previous;
  }
}
