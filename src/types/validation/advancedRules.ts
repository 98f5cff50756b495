import { isAbsent, rule } from './constraint';

/**
 * The rules of an advanced lip-sync input that need no stored session (docs/kling.md, "Advanced lip-sync").
 * The ones that do (the face belongs to the session, the clip overlaps the face) are checked by
 * src/services/AdvancedLipSyncRules.ts before anything is sent.
 */

/** A list of `min`..`max` entries; `why` says where the bound comes from. */
export function ListLength(min: number, max: number, why: string) {
  return rule('listLength', (value) => {
    if (!Array.isArray(value)) return null;
    if (value.length >= min && value.length <= max) return null;
    const bound = min === max ? `exactly ${min}` : `${min} to ${max}`;
    return `must have ${bound} ${max === 1 ? 'entry' : 'entries'} (got ${value.length}): ${why}`;
  });
}

/** This field (a start) must be less than `endField`. */
export function StartsBefore(endField: string) {
  return rule('startsBefore', (value, object) => {
    const end = object[endField];
    if (isAbsent(value) || isAbsent(end)) return null;
    return Number(value) < Number(end) ? null : `must be less than ${endField}`;
  });
}

/** This field (an end) lies at least `minMs` after `startField`; an end before its start is StartsBefore's to report. */
export function LastsAtLeast(startField: string, minMs: number) {
  return rule('lastsAtLeast', (value, object) => {
    const start = object[startField];
    if (isAbsent(value) || isAbsent(start)) return null;
    const length = Number(value) - Number(start);
    if (length <= 0 || length >= minMs) return null;
    return `must be at least ${minMs} ms after ${startField}: the cropped clip must last ≥ ${minMs} ms (got ${length} ms)`;
  });
}
