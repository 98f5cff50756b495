import { newRecordId } from '../../src/domain/recordId';

describe('newRecordId', () => {
  it('is a UUIDv7 whose text order follows time', () => {
    const earlier = newRecordId(1_700_000_000_000);
    const later = newRecordId(1_700_000_000_001);
    expect(earlier).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(earlier < later).toBe(true);
    expect(earlier.slice(0, 13)).toBe('018bcfe5-6800');
  });

  it('does not repeat within one millisecond', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newRecordId(1_700_000_000_000)));
    expect(ids.size).toBe(10_000);
  });
});
