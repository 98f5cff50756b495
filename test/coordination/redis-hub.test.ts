import type { TaskRecord, TaskState } from '../../src/domain/task';
import { useRedis, waitUntil } from '../support/redis';

const redis = useRedis();

/** The hub routes by our own task id; here it equals the upstream id, so what a listener heard reads simply. */
function taskRecord(upstreamId: string, state: TaskState): TaskRecord {
  return {
    id: upstreamId,
    tenant: 'default',
    state,
    upstreamId,
    mode: 'TEXT_TO_VIDEO',
    kind: 'STANDARD',
    face: null,
    statusMessage: null,
    parentVideo: null,
    videos: state === 'succeeded' ? [{ id: 'video-1', url: 'https://cdn.example/out.mp4', durationSeconds: 5.5 }] : [],
    idempotencyKey: null,
    requestHash: 'hash',
    idempotencyExpiresAt: null,
    upstreamRequestId: 'req-1',
    submitError: null,
    createdAt: 1_000,
    updatedAt: 2_000,
    recordedAt: 1_000,
    checkedAt: 2_000,
    leaseUntil: 0,
    queuedAt: null,
    unitsChargedMicro: null,
  };
}

/** What one listener heard, as "task:state". */
function recorder() {
  const heard: string[] = [];
  return { heard, listener: (record: TaskRecord) => heard.push(`${record.upstreamId}:${record.state}`) };
}

describe('RedisTaskUpdateHub across two instances', () => {
  it('delivers each change exactly once to listeners on the publishing instance and on the other', async () => {
    const a = (await redis.start()).coordination.hub;
    const b = (await redis.start()).coordination.hub;
    const onA = recorder();
    const onB = recorder();
    a.subscribe('task-1', onA.listener);
    b.subscribe('task-1', onB.listener);

    const succeeded = taskRecord('task-1', 'succeeded');
    a.publish(taskRecord('task-1', 'processing'));
    // local listeners hear it inside publish, without waiting for Redis
    expect(onA.heard).toEqual(['task-1:processing']);
    a.publish(succeeded);
    await waitUntil(() => onB.heard.length === 2, 'B heard both changes');
    expect(onB.heard).toEqual(['task-1:processing', 'task-1:succeeded']);

    // Redis sends A's own messages back to A before this one, so when A hears B, A has seen (and dropped) its echoes.
    b.publish(taskRecord('task-1', 'failed'));
    await waitUntil(() => onA.heard.length >= 3, 'A heard B');
    expect(onA.heard).toEqual(['task-1:processing', 'task-1:succeeded', 'task-1:failed']);
    expect(onB.heard).toEqual(['task-1:processing', 'task-1:succeeded', 'task-1:failed']);
  });

  it('carries the whole record unchanged', async () => {
    const a = (await redis.start()).coordination.hub;
    const b = (await redis.start()).coordination.hub;
    const received: TaskRecord[] = [];
    b.subscribe('task-2', (record) => received.push(record));
    const record = taskRecord('task-2', 'succeeded');
    a.publish(record);
    await waitUntil(() => received.length === 1, 'B heard the change');
    expect(received[0]).toEqual(record);
  });

  it('stops delivering to a listener once unsubscribed, and counts local listeners back to zero', async () => {
    const a = (await redis.start()).coordination.hub;
    const b = (await redis.start()).coordination.hub;
    const gone = recorder();
    const marker = recorder();
    const unsubscribeGone = b.subscribe('task-3', gone.listener);
    const unsubscribeMarker = b.subscribe('marker', marker.listener);
    const unsubscribeOnA = a.subscribe('task-3', () => undefined);
    expect([a.listenerCount(), b.listenerCount()]).toEqual([1, 2]);

    unsubscribeGone();
    unsubscribeGone(); // twice is harmless
    a.publish(taskRecord('task-3', 'processing'));
    a.publish(taskRecord('marker', 'processing'));
    // published after task-3 on the same connection, so it arrives after it
    await waitUntil(() => marker.heard.length === 1, 'B heard the marker');
    expect(gone.heard).toEqual([]);

    unsubscribeMarker();
    unsubscribeOnA();
    expect([a.listenerCount(), b.listenerCount()]).toEqual([0, 0]);
  });

  it('ignores messages on its channel that are not task updates', async () => {
    const instance = await redis.start();
    const heard = recorder();
    instance.coordination.hub.subscribe('task-4', heard.listener);
    await redis.admin().publish(`${redis.prefix}task-updates`, 'not json');
    await redis.admin().publish(`${redis.prefix}task-updates`, JSON.stringify({ origin: 'elsewhere' }));
    await redis
      .admin()
      .publish(
        `${redis.prefix}task-updates`,
        JSON.stringify({ origin: 'elsewhere', record: taskRecord('task-4', 'failed') }),
      );
    await waitUntil(() => heard.heard.length === 1, 'the valid update arrived');
    expect(heard.heard).toEqual(['task-4:failed']);
    expect(instance.logs()).toContain('ignored a message that is not a task update');
  });
});
