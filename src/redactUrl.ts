/** Query parameters whose values are credentials by name (password=, api_key=, X-Amz-Signature=, token=, …). */
const SECRET_PARAMETER = /pass|pwd|secret|token|key|sig|auth|cred/i;

/**
 * Any URL from configuration (DATABASE_URL, REDIS_URL, KLING_BASE_URL, PUBLIC_URL) with its secrets masked:
 * the userinfo password (`user:***@`) and the values of credential-named query parameters. Safe for logs and
 * error messages. Deliberately textual rather than `new URL`: a password with a raw `@` or `/` would make URL
 * parsing fail or split in the wrong place, and masking must never leak on input it does not understand.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):.*@/i, '$1:***@')
    .replace(/([?&;])([^=&#;]*)=([^&#;]*)/g, (whole, separator: string, name: string) =>
      SECRET_PARAMETER.test(name) ? `${separator}${name}=***` : whole,
    );
}
