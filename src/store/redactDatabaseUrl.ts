/**
 * DATABASE_URL with any password masked (`user:***@`, `password=***`), safe for logs and error messages.
 * Deliberately textual rather than `new URL`: a password with a raw `@` or `/` would make URL parsing fail or
 * split in the wrong place, and masking must never leak on input it does not understand.
 */
export function redactDatabaseUrl(databaseUrl: string): string {
  return databaseUrl
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):.*@/i, '$1:***@')
    .replace(/([?&]password=)[^&]*/gi, '$1***');
}
