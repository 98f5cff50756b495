/**
 * Waiting for an event instead of sleeping a fixed time. On a loaded 2-core machine a fixed sleep is either too
 * short (the test flakes) or too long (the suite crawls); polling for the condition is neither. The deadline is
 * only where the test gives up, so make it generous: a passing run never waits for it.
 */

/** Polls `check` until it returns a value other than undefined/false (that value), or fails naming `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  deadlineMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** For what must take time (a TTL to pass, a clock to move), never to wait for something to happen. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
