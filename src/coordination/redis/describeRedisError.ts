/** The words an operator needs from an ioredis failure (never the URL, which may hold a password). */
export function describeRedisError(error: unknown): string {
  // Node tries every address of a host name (::1, then 127.0.0.1) and reports all failures together.
  if (error instanceof AggregateError && error.errors.length > 0) return describeRedisError(error.errors[0]);
  return error instanceof Error ? error.message : String(error);
}
