import { describe, expect, it } from '@jest/globals';
import { acceptedRecord, intentRecord, mergeSnapshot } from '../../src/store/taskTransitions';
import { taskIntent, taskSnapshot } from '../support/storeFixtures';

/**
 * How an answer about an accepted task is merged, both stores alike. Written to kill mutants that survived
 * `npm run mutation` (docs/testing.md): answers overtaking each other, and which changes a client sees.
 */
const processing = () =>
  acceptedRecord(
    intentRecord(taskIntent()),
    taskSnapshot('up-1', { state: 'processing', updatedAt: 5_000 }),
    'req-1',
    5_000,
  );

describe('mergeSnapshot', () => {
  it('ignores an answer from an earlier state, or the same state older than the stored one', () => {
    const stored = processing();
    for (const older of [
      taskSnapshot('up-1', { state: 'submitted', updatedAt: 9_000 }),
      taskSnapshot('up-1', { state: 'processing', updatedAt: 4_000 }),
    ]) {
      const { record, changed } = mergeSnapshot(stored, older, 'req-2', 10_000);
      expect(changed).toBe(false);
      expect(record).toEqual({ ...stored, checkedAt: 10_000 });
    }
  });

  it('takes the same state when it is as new or newer, and a later state whatever its timestamp', () => {
    const stored = processing();
    for (const updatedAt of [5_000, 6_000]) {
      const { record, changed } = mergeSnapshot(
        stored,
        taskSnapshot('up-1', { state: 'processing', updatedAt, statusMessage: 'rendering' }),
        'req-2',
        10_000,
      );
      expect(record).toMatchObject({
        state: 'processing',
        updatedAt,
        statusMessage: 'rendering',
        upstreamRequestId: 'req-2',
      });
      expect(changed).toBe(true); // the message moved
    }
    const { record, changed } = mergeSnapshot(
      stored,
      taskSnapshot('up-1', { state: 'succeeded', updatedAt: 1_000 }),
      null,
      10_000,
    );
    expect([record.state, changed]).toEqual(['succeeded', true]);
  });

  it('never moves a finished task again', () => {
    const done = mergeSnapshot(
      processing(),
      taskSnapshot('up-1', { state: 'succeeded', updatedAt: 6_000 }),
      null,
      10_000,
    ).record;
    const { record, changed } = mergeSnapshot(
      done,
      taskSnapshot('up-1', { state: 'failed', updatedAt: 7_000, statusMessage: 'late' }),
      null,
      11_000,
    );
    expect([record.state, record.statusMessage, changed]).toEqual(['succeeded', null, false]);
  });

  it('reports a change a client sees: new videos, or a new parent video, even in the same state', () => {
    const stored = processing();
    const video = { id: 'v-1', url: 'https://cdn.example/v.mp4', durationSeconds: 5 };
    expect(
      mergeSnapshot(
        stored,
        taskSnapshot('up-1', { state: 'processing', updatedAt: 6_000, videos: [video] }),
        null,
        10_000,
      ).changed,
    ).toBe(true);
    const parentVideo = { id: 'parent-2', url: 'https://cdn.example/p2.mp4', durationSeconds: 5.5 };
    expect(
      mergeSnapshot(stored, taskSnapshot('up-1', { state: 'processing', updatedAt: 6_000, parentVideo }), null, 10_000)
        .changed,
    ).toBe(true);
    expect(
      mergeSnapshot(stored, taskSnapshot('up-1', { state: 'processing', updatedAt: 6_000 }), null, 10_000).changed,
    ).toBe(false);
  });

  it('treats a repeated acceptance of the same upstream task as just another answer', () => {
    const stored = processing();
    const again = acceptedRecord(
      stored,
      taskSnapshot('up-1', { state: 'submitted', updatedAt: 2_000 }),
      'req-3',
      10_000,
    );
    expect(again).toEqual({ ...stored, checkedAt: 10_000 });
  });
});
