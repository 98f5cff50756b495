import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { addressProblem } from './outboundUrl';

/** The error a refused address fails a connection with (before any byte is sent). */
export class RefusedAddressError extends Error {
  readonly code = 'EADDRREFUSED';
}

/**
 * A `lookup` for http(s) agents that resolves as usual, then refuses the connection when any address the name
 * resolves to is not public (the outbound URL rule of src/domain/outboundUrl.ts). Checked where the socket is
 * opened, so a name that pointed elsewhere when the URL was checked (DNS rebinding) still cannot reach a
 * loopback, private or metadata address. Literal IPs never reach a lookup: outboundUrlProblem checks those.
 */
export function guardedLookup(): LookupFunction {
  const lookup = (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      for (const { address } of addresses) {
        const problem = addressProblem(address);
        if (problem) return callback(new RefusedAddressError(`${hostname} resolves to ${address}: ${problem}`), '', 0);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
  return lookup as unknown as LookupFunction;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;
