import 'reflect-metadata';
import { validateSync } from 'class-validator';
import { describe, expect, it } from '@jest/globals';
import { insertedRange, overlapMs } from '../../src/domain/advancedRequest';
import { LastsAtLeast, ListLength, StartsBefore } from '../../src/types/validation/advancedRules';

/**
 * The advanced input's own rules at their edges, on a small class (FaceAudioInput and AdvancedLipSyncInput use the
 * same decorators), and the overlap arithmetic the session rule uses (src/services/AdvancedLipSyncRules.ts).
 */
class Sample {
  @StartsBefore('end')
  start?: number | null;

  @LastsAtLeast('start', 2_000)
  end?: number | null;

  @ListLength(1, 1, 'one today')
  list?: unknown[] | null;
}

function problems(values: Partial<Sample>): Record<string, string> {
  const sample = Object.assign(new Sample(), values);
  return Object.fromEntries(
    validateSync(sample).map((e) => [e.property, Object.values(e.constraints ?? {}).join('; ')]),
  );
}

describe('advanced rules', () => {
  it('pass on absent values', () => {
    expect(problems({})).toEqual({});
    expect(problems({ start: 5, end: null, list: null })).toEqual({});
  });

  it('StartsBefore: equal or later is refused, earlier passes', () => {
    expect(problems({ start: 0, end: 2_000 })).toEqual({});
    expect(problems({ start: 2_000, end: 2_000 })).toEqual({ start: 'must be less than end' });
    expect(problems({ start: 3_000, end: 2_000 })).toEqual({ start: 'must be less than end' });
  });

  it('LastsAtLeast: 1,999 ms is refused, 2,000 passes; a reversed range is left to StartsBefore', () => {
    expect(problems({ start: 1_000, end: 2_999 })).toEqual({
      end: 'must be at least 2000 ms after start: the cropped clip must last ≥ 2000 ms (got 1999 ms)',
    });
    expect(problems({ start: 1_000, end: 3_000 })).toEqual({});
    expect(problems({ start: 3_000, end: 1_000 })).toEqual({ start: 'must be less than end' });
  });

  it('ListLength: fewer or more entries are refused, saying why', () => {
    expect(problems({ list: [1] })).toEqual({});
    expect(problems({ list: [] })).toEqual({ list: 'must have exactly 1 entry (got 0): one today' });
    expect(problems({ list: [1, 2] })).toEqual({ list: 'must have exactly 1 entry (got 2): one today' });
  });

  it('the inserted clip and its overlap with a face', () => {
    const face = { startMs: 1_000, endMs: 5_000 };
    const clip = (insert: number) =>
      insertedRange({ faceId: 'f', soundStartMs: 500, soundEndMs: 3_500, soundInsertMs: insert });
    expect(clip(3_000)).toEqual({ startMs: 3_000, endMs: 6_000 });
    expect(overlapMs(clip(3_000), face)).toBe(2_000);
    expect(overlapMs(clip(3_001), face)).toBe(1_999);
    expect(overlapMs(clip(0), face)).toBe(2_000);
    expect(overlapMs(clip(9_000), face)).toBe(0); // apart: nothing shared, never negative
    expect(overlapMs({ startMs: 0, endMs: 10_000 }, face)).toBe(4_000);
  });
});
