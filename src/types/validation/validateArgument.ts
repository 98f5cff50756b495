import { validateSync, type ValidationError } from 'class-validator';
import type { ResolverData } from 'type-graphql';
import type { RequestContext } from '../../context';
import { STRICT_OUTBOUND_URL_POLICY } from '../../domain/outboundUrl';
import { BadUserInputError, type FieldError } from '../../errors';
import { withOutboundUrlPolicy } from './outboundUrlPolicy';

/**
 * type-graphql's `validateFn`. We run class-validator ourselves rather than with `validate: true` because
 * type-graphql then forces `skipMissingProperties: true`, which would silently skip our presence rules
 * (videoId/videoUrl, the mode's required fields). Scalars (`lipSyncTask(id)`) return at once: reads pay nothing.
 */
export function validateArgument(value: unknown, _type?: unknown, resolverData?: ResolverData<object>): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  blankToAbsent(value as Record<string, unknown>);
  const policy =
    (resolverData?.context as RequestContext | undefined)?.services?.outboundUrls ?? STRICT_OUTBOUND_URL_POLICY;
  const errors = withOutboundUrlPolicy(policy, () =>
    validateSync(value, {
      skipMissingProperties: false,
      forbidUnknownValues: false,
      validationError: { target: false, value: false },
    }),
  );
  if (errors.length > 0) throw new BadUserInputError(fieldErrors(errors));
}

/** The contract: an empty string counts as missing, never as a value (in nested inputs too). */
function blankToAbsent(object: Record<string, unknown>): void {
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (value === '') object[key] = undefined;
    else if (Array.isArray(value)) for (const item of value) if (isObject(item)) blankToAbsent(item);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function fieldErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    // A list entry is named as in JavaScript: faces[0].faceId
    const field = /^\d+$/.test(error.property) ? `${prefix.slice(0, -1)}[${error.property}]` : prefix + error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message: `${field} ${message}` }));
    return [...own, ...fieldErrors(error.children ?? [], `${field}.`)];
  });
}
