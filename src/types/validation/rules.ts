import { effectiveMode, modeProblem, type LipSyncRequest } from '../../domain/request';
import { outboundUrlProblem } from '../../domain/outboundUrl';
import type { TaskMode } from '../../domain/task';
import { isAbsent, rule } from './constraint';
import { currentOutboundUrlPolicy } from './outboundUrlPolicy';

/**
 * Exactly one of the named fields must be given; put it on the first of them.
 * With `when`, the rule applies only to objects for which it returns true.
 */
export function ExactlyOneOf(fields: readonly string[], when?: (object: Record<string, unknown>) => boolean) {
  const list = fields.join(' or ');
  return rule('exactlyOneOf', (_value, object) => {
    if (when && !when(object)) return null;
    const given = fields.filter((f) => !isAbsent(object[f])).length;
    if (given === 1) return null;
    return given === 0 ? `is required: give exactly one of ${list}` : `conflicts: give only one of ${list}, not both`;
  });
}

/** The mode must be given or inferable from the fields (text vs audio). */
export function InferableMode() {
  return rule('inferableMode', (_value, object) => modeProblem(object as LipSyncRequest));
}

export function modeOf(object: Record<string, unknown>): TaskMode | null {
  return effectiveMode(object as LipSyncRequest);
}

const MODE_LABEL: Record<TaskMode, string> = { TEXT_TO_VIDEO: 'TEXT_TO_VIDEO', AUDIO_TO_VIDEO: 'AUDIO_TO_VIDEO' };

/** The field belongs to one mode: required there when `required`, rejected in the other. */
export function BelongsToMode(mode: TaskMode, options: { required: boolean }) {
  return rule('belongsToMode', (value, object) => {
    const actual = modeOf(object);
    if (actual === null) return null; // reported once, on `mode`
    if (actual === mode) return options.required && isAbsent(value) ? `is required in ${MODE_LABEL[mode]} mode` : null;
    return isAbsent(value) ? null : `is only allowed in ${MODE_LABEL[mode]} mode`;
  });
}

/**
 * A URL this server lets Kling (or itself) call: https (http when allowed), no user info, a public host
 * (src/domain/outboundUrl.ts). The policy is the one of the request being validated (outboundUrlPolicy.ts).
 */
export function IsOutboundUrl() {
  return rule('isOutboundUrl', (value) =>
    isAbsent(value) ? null : outboundUrlProblem(String(value), currentOutboundUrlPolicy()),
  );
}

/** Length in characters as people count them (code points, so 一 is one character). */
export function CharLength(min: number, max: number, options: { notBlank?: boolean } = {}) {
  return rule('charLength', (value) => (isAbsent(value) ? null : charLengthProblem(String(value), min, max, options)));
}

/** The check behind CharLength, for values that arrive outside an input object (the Idempotency-Key header). */
export function charLengthProblem(
  text: string,
  min: number,
  max: number,
  options: { notBlank?: boolean } = {},
): string | null {
  if (options.notBlank && text.trim() === '') return 'must not be blank';
  const length = [...text].length;
  if (length < min) return `must be at least ${min} characters`;
  if (length > max) return `must be at most ${max} characters (got ${length})`;
  return null;
}

export function InRange(min: number, max: number) {
  return rule('inRange', (value) => {
    if (isAbsent(value)) return null;
    const n = Number(value);
    return Number.isFinite(n) && n >= min && n <= max ? null : `must be between ${min} and ${max}`;
  });
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Base64 audio (no `data:` prefix) of at most maxBytes once decoded. */
export function IsBase64Audio(maxBytes: number) {
  return rule('isBase64Audio', (value) => {
    if (isAbsent(value)) return null;
    const text = String(value);
    if (text.startsWith('data:')) return 'must be plain Base64: remove the data:…;base64, prefix';
    if (text.length % 4 !== 0 || !BASE64.test(text)) return 'must be valid Base64';
    const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
    const bytes = (text.length / 4) * 3 - padding;
    if (bytes > maxBytes) return `must be at most ${maxBytes / (1024 * 1024)} MB decoded (got ${bytes} bytes)`;
    return null;
  });
}
