import fs from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './ConfigError';
import type { Variables } from './variables';

/** `tenant=token` pairs, token → tenant. A token given twice would make its tenant a matter of order: refused. */
function parseTokenPairs(pairs: readonly string[], expected: string): ReadonlyMap<string, string> | string {
  const tokens = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const tenant = pair.slice(0, eq).trim();
    const token = pair.slice(eq + 1).trim();
    if (eq <= 0 || !tenant || !token) return `must be ${expected}`;
    const holder = tokens.get(token);
    if (holder !== undefined)
      return `gives one token twice (tenants ${holder} and ${tenant}): every token must be unique`;
    tokens.set(token, tenant);
  }
  return tokens.size === 0 ? 'must name at least one tenant=token' : tokens;
}

/** AUTH_TOKENS: `tenant=token[,tenant=token…]`. */
export const authTokens = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const parsed = parseTokenPairs(
      value
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
      'tenant=token[,tenant=token…]',
    );
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return parsed;
  });

/** AUTH_TOKENS_FILE: one `tenant=token` a line; blank lines and `#` comments are skipped. */
function readTokenFile(file: string): ReadonlyMap<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('AUTH_TOKENS_FILE', `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const parsed = parseTokenPairs(lines, 'one tenant=token a line');
  if (typeof parsed === 'string') throw new ConfigError('AUTH_TOKENS_FILE', parsed);
  return parsed;
}

/** Client tokens from AUTH_TOKENS or AUTH_TOKENS_FILE; production refuses to run open unless told so. */
export function clientTokens(v: Variables, production: boolean): ReadonlyMap<string, string> | null {
  if (v.AUTH_TOKENS && v.AUTH_TOKENS_FILE)
    throw new ConfigError('AUTH_TOKENS', 'and AUTH_TOKENS_FILE are two sources of tokens: set one');
  const tokens = v.AUTH_TOKENS ?? (v.AUTH_TOKENS_FILE ? readTokenFile(v.AUTH_TOKENS_FILE) : null);
  if (!tokens && production && v.ALLOW_ANONYMOUS !== 'true') {
    throw new ConfigError(
      'AUTH_TOKENS',
      'or AUTH_TOKENS_FILE must be set in production (or ALLOW_ANONYMOUS=true to serve without client tokens)',
    );
  }
  return tokens;
}
