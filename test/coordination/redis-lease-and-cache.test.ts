import type { PollLease } from '../../src/services/TaskWatcher';
import { useRedis } from '../support/redis';

const redis = useRedis();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    expect(await a.tryAcquire('task-2', 300)).toBe(true);
    await sleep(200);
    expect(await a.tryAcquire('task-2', 300)).toBe(true);
    await sleep(200);
    // 400 ms after the first grant, but only 200 ms after the extension
    expect(await b.tryAcquire('task-2', 300)).toBe(false);
  });

  it('hands the task to another instance once the holder stops renewing', async () => {
    const [a, b] = await leases();
    expect(await a.tryAcquire('task-3', 150)).toBe(true);
    expect(await b.tryAcquire('task-3', 150)).toBe(false);
    await sleep(250);
    expect(await b.tryAcquire('task-3', 150)).toBe(true);
    expect(await a.tryAcquire('task-3', 150)).toBe(false);
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
    await a.apqCache.set('short', 'query { a }', { ttl: 0.15 });
    await a.apqCache.set('long', 'query { b }', { ttl: 300 });
    await a.apqCache.set('forever', 'query { c }', { ttl: null });
    expect(await a.apqCache.get('short')).toBe('query { a }');
    await sleep(250);
    expect(await a.apqCache.get('short')).toBeUndefined();
    expect(await a.apqCache.get('long')).toBe('query { b }');
    expect(await redis.admin().pttl(`${redis.prefix}apq:long`)).toBeGreaterThan(299_000);
    expect(await redis.admin().pttl(`${redis.prefix}apq:forever`)).toBe(-1);
  });
});
