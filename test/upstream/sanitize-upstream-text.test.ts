import { describe, expect, it } from '@jest/globals';
import { sanitizeUpstreamText } from '../../src/upstream/upstreamErrors';

/** Upstream text shown to callers: written to kill mutants that survived `npm run mutation` (docs/testing.md). */
describe('sanitizeUpstreamText', () => {
  it('drops markup, squeezes and trims whitespace', () => {
    expect(sanitizeUpstreamText('  <html><h1>502 Bad\n\n Gateway</h1></html>  ')).toBe('502 Bad Gateway');
    expect(sanitizeUpstreamText('a\t\tb')).toBe('a b');
  });

  it('answers an empty string for anything but text', () => {
    expect(sanitizeUpstreamText(undefined)).toBe('');
    expect(sanitizeUpstreamText({ message: 'x' })).toBe('');
  });

  it('redacts every secret it is given, and ignores an empty one', () => {
    expect(sanitizeUpstreamText('bad key k-123 (k-123)', ['', 'k-123'])).toBe('bad key [redacted] ([redacted])');
  });

  it('keeps 300 characters whole and cuts a longer text to 300 with an ellipsis', () => {
    expect(sanitizeUpstreamText('x'.repeat(300))).toBe('x'.repeat(300));
    expect(sanitizeUpstreamText('x'.repeat(301))).toBe(`${'x'.repeat(299)}…`);
  });
});
