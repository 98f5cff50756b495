import type { PollLease } from '../../src/services/TaskWatcher';
import { useRedis } from '../support/redis';

const redis = useRedis();

describe('releasing poll leases (a graceful stop)', () => {
  it('frees the leases the instance holds, at once, and never one another instance holds', async () => {
    const [a, b] = await Promise.all([redis.start(), redis.start()]);
    const leaseA = a.coordination.pollLease as PollLease;
    const leaseB = b.coordination.pollLease as PollLease;
    expect(await leaseA.tryAcquire('held-by-a', 60_000)).toBe(true);
    expect(await leaseB.tryAcquire('held-by-b', 60_000)).toBe(true);

    await leaseA.release(['held-by-a', 'held-by-b', 'held-by-nobody']);

    // Long before 60 s: b takes a's task at once, and keeps its own.
    expect(await leaseB.tryAcquire('held-by-a', 60_000)).toBe(true);
    expect(await leaseA.tryAcquire('held-by-b', 60_000)).toBe(false);
    expect(await redis.admin().get(`${redis.prefix}poll-lease:held-by-nobody`)).toBeNull();
  });
});
