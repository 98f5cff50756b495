import type { PollLease } from '../../src/services/TaskWatcher';
import { useRedis } from '../support/redis';
import { waitFor } from '../support/waitFor';

const redis = useRedis();

/**
 * Expiry is Redis's clock, so these tests wait for it instead of sleeping past it, and every "not yet" is asked
 * right after the event it follows with a margin of a second or more (a loaded machine delays a step by
 * tens of ms, rarely hundreds). "Not sooner than" bounds are measured here: a late timer only adds to them.
 */
const ROUNDING_MS = 5;

async function twoInstances() {
  const [a, b] = await Promise.all([redis.start(), redis.start()]);
  return [a.coordination, b.coordination] as const;
}

describe('poll leases across instances', () => {
  const leases = async (): Promise<[PollLease, PollLease]> => {
    const [a, b] = await twoInstances();
    return [a.pollLease as PollLease, b.pollLease as PollLease];
  };

  it('gives a task to exactly one of two instances asking at once', async () => {
    const [a, b] = await leases();
    const answers = await Promise.all([a.tryAcquire('task-1', 5_000), b.tryAcquire('task-1', 5_000)]);
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it('lets the holder keep the lease by asking again, which extends it', async () => {
    const [a, b] = await leases();
    const key = `${redis.prefix}poll-lease:task-2`;
    expect(await a.tryAcquire('task-2', 5_000)).toBe(true);
    const aged = await waitFor(
      'a second of the lease to run out',
      async () => {
        const left = await redis.admin().pttl(key);
        return left > 0 && left < 4_000 && left;
      },
      10_000,
      50,
    );
    expect(await a.tryAcquire('task-2', 5_000)).toBe(true);
    // Extended back towards the full 5 s: more left than before asking (unless a whole second passed since).
    expect(await redis.admin().pttl(key)).toBeGreaterThan(aged);
    expect(await b.tryAcquire('task-2', 5_000)).toBe(false);
  });

  it('hands the task to another instance once the holder stops renewing', async () => {
    const [a, b] = await leases();
    const beforeGrant = performance.now();
    expect(await a.tryAcquire('task-3', 1_000)).toBe(true);
    expect(await b.tryAcquire('task-3', 1_000)).toBe(false);
    await waitFor('the other instance to take the lapsed lease', () => b.tryAcquire('task-3', 1_000), 10_000, 50);
    expect(performance.now() - beforeGrant).toBeGreaterThanOrEqual(1_000 - ROUNDING_MS); // not before it lapsed
    expect(await a.tryAcquire('task-3', 1_000)).toBe(false);
  });

  it('keeps working after Redis forgot its scripts (as after a restart)', async () => {
    const [a, b] = await leases();
    expect(await a.tryAcquire('task-6', 5_000)).toBe(true);
    await redis.admin().script('FLUSH');
    expect(await b.tryAcquire('task-6', 5_000)).toBe(false);
  });

  it('keeps leases of different tasks apart', async () => {
    const [a, b] = await leases();
    expect(await a.tryAcquire('task-4', 5_000)).toBe(true);
    expect(await b.tryAcquire('task-5', 5_000)).toBe(true);
  });
});

describe('the persisted-query cache', () => {
  it('shares entries between instances: set on one, read and deleted on the other', async () => {
    const [a, b] = await twoInstances();
    expect(await b.apqCache.get('hash-1')).toBeUndefined();
    await a.apqCache.set('hash-1', '{ voices { id } }');
    expect(await b.apqCache.get('hash-1')).toBe('{ voices { id } }');
    expect(await b.apqCache.delete('hash-1')).toBe(true);
    expect(await a.apqCache.get('hash-1')).toBeUndefined();
  });

  it('forgets an entry after its ttl (seconds, as KeyValueCache defines it)', async () => {
    const [a] = await twoInstances();
    const beforeSet = performance.now();
    await a.apqCache.set('short', 'query { a }', { ttl: 1 });
    await a.apqCache.set('long', 'query { b }', { ttl: 300 });
    await a.apqCache.set('forever', 'query { c }', { ttl: null });
    expect(await a.apqCache.get('short')).toBe('query { a }');
    const longLeft = await redis.admin().pttl(`${redis.prefix}apq:long`);
    expect(longLeft).toBeGreaterThanOrEqual(300_000 - (performance.now() - beforeSet) - ROUNDING_MS);
    await waitFor('the 1 s entry to expire', async () => (await a.apqCache.get('short')) === undefined, 10_000, 50);
    expect(performance.now() - beforeSet).toBeGreaterThanOrEqual(1_000 - ROUNDING_MS); // seconds, not ms
    expect(await a.apqCache.get('long')).toBe('query { b }');
    expect(await redis.admin().pttl(`${redis.prefix}apq:forever`)).toBe(-1);
  });
});
