/**
 * Upstream units (Kling's `final_unit_deduction`, a decimal string: docs/kling.md, "Answer envelope") kept
 * exactly: as whole millionths of a unit. Integers add up without binary-fraction drift (0.1 + 0.2 is 0.3 here,
 * in JavaScript and in SQL SUM alike), and a millionth is finer than any deduction Kling documents.
 */
export const MICRO_UNITS_PER_UNIT = 1_000_000;
const SCALE_DIGITS = 6;

/** A non-negative decimal such as "1.5", "0.10" or "12"; no sign, exponent or spaces inside. */
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * The decimal text as whole millionths, read digit by digit (never through a float); digits past the sixth
 * decimal round half up. Null for anything that is not such a decimal, or too large to count exactly.
 */
export function microUnitsFromDecimal(text: string): number | null {
  const match = DECIMAL.exec(text.trim());
  if (!match) return null;
  const fraction = (match[2] ?? '').padEnd(SCALE_DIGITS + 1, '0');
  const roundUp = Number(fraction[SCALE_DIGITS]) >= 5 ? 1n : 0n;
  const micro = BigInt(match[1]) * BigInt(MICRO_UNITS_PER_UNIT) + BigInt(fraction.slice(0, SCALE_DIGITS)) + roundUp;
  return micro <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(micro) : null;
}

/** Whole millionths as a number of units: one correctly rounded division, the same double as parsing the decimal. */
export function unitsFromMicro(micro: number): number {
  return micro / MICRO_UNITS_PER_UNIT;
}
