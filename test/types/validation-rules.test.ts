import 'reflect-metadata';
import { validateSync } from 'class-validator';
import { describe, expect, it } from '@jest/globals';
import { CharLength, IsBase64Audio } from '../../src/types/validation/rules';

/**
 * The value rules at their edges (the outbound URL rule has its own, test/hardening/outboundUrls.test.ts), on a small class of their own (the input types use the same decorators).
 * Written to kill mutants that survived `npm run mutation` (docs/testing.md): each case fails when one
 * condition of a rule is dropped or inverted.
 */
class Sample {
  @CharLength(3, 5)
  name?: string | null;

  /** 4 bytes once decoded: "AAAAAA==" is exactly that */
  @IsBase64Audio(4)
  audio?: string | null;
}

function problems(values: Partial<Sample>): Record<string, string> {
  const sample = Object.assign(new Sample(), values);
  return Object.fromEntries(
    validateSync(sample).map((e) => [e.property, Object.values(e.constraints ?? {}).join('; ')]),
  );
}

describe('value rules', () => {
  it('pass on absent values: presence is a rule of its own', () => {
    expect(problems({})).toEqual({});
    expect(problems({ name: null, audio: null })).toEqual({});
  });

  it('CharLength counts characters as people do, and reports either edge', () => {
    expect(problems({ name: 'abc' })).toEqual({});
    expect(problems({ name: 'abcde' })).toEqual({});
    expect(problems({ name: '一二三' })).toEqual({}); // 3 code points, 9 bytes
    expect(problems({ name: 'ab' })).toEqual({ name: 'must be at least 3 characters' });
    expect(problems({ name: 'abcdef' })).toEqual({ name: 'must be at most 5 characters (got 6)' });
  });

  it('IsBase64Audio rejects a bad character even when the length is a multiple of 4', () => {
    expect(problems({ audio: 'AAAA' })).toEqual({});
    expect(problems({ audio: 'ab!d' })).toEqual({ audio: 'must be valid Base64' });
    expect(problems({ audio: 'AAAAA' })).toEqual({ audio: 'must be valid Base64' });
  });

  it('IsBase64Audio counts decoded bytes, padding excluded', () => {
    expect(problems({ audio: 'AAAAAA==' })).toEqual({}); // 6 - 2 = 4 bytes
    expect(problems({ audio: 'AAAAAAA=' })).toEqual({ audio: expect.stringContaining('(got 5 bytes)') });
    expect(problems({ audio: 'AAAAAAAA' })).toEqual({ audio: expect.stringContaining('(got 6 bytes)') });
  });
});
