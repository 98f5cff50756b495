import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCode } from '../errors';

const CONTRACT_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Apollo's request-level codes that clients act on (APQ): kept as they are. */
const PROTOCOL_CODES: ReadonlySet<string> = new Set(['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED']);

/** Malformed or invalid operations are bad input in the contract's terms; the GraphQL reason stays visible. */
const REQUEST_CODES: ReadonlySet<string> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
]);

const VARIABLE_PATH = /at "([^"]+)"/;
const VARIABLE_NAME = /Variable "\$([^"]+)"/;
/** graphql-js's hints for fields, arguments, types, enum values and input fields (its `didYouMean` helper). */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

export interface ErrorFormatterOptions {
  log: Logger;
  /** production: no stack traces, no "Did you mean …" hints (they spell out the schema to a caller that may not see it) */
  production: boolean;
}

/**
 * The single place errors take their public shape, for HTTP and WebSocket alike: contract codes pass
 * through; request-level GraphQL failures become BAD_USER_INPUT; anything else is a bug, masked as
 * INTERNAL_SERVER_ERROR with its details only in the log.
 */
export function createErrorFormatter(options: ErrorFormatterOptions) {
  return function formatError(answer: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const formatted = options.production ? withoutSuggestions(answer) : answer;
    const original = unwrapResolverError(error);
    const code = String(formatted.extensions?.code ?? '');
    if (original instanceof GraphQLError && CONTRACT_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      return withoutStack(
        formatted,
        options.production,
        code === ErrorCode.BAD_USER_INPUT ? variableFieldErrors(formatted) : undefined,
      );
    }
    if (PROTOCOL_CODES.has(code)) return withoutStack(formatted, options.production);
    if (isUncodedRequestError(original, code)) {
      const extra = { code: ErrorCode.BAD_USER_INPUT, ...variableFieldErrors(formatted) };
      return { ...formatted, extensions: { ...stripStack(formatted.extensions, options.production), ...extra } };
    }
    if (REQUEST_CODES.has(code)) {
      return {
        ...formatted,
        extensions: {
          ...stripStack(formatted.extensions, options.production),
          code: ErrorCode.BAD_USER_INPUT,
          reason: code,
        },
      };
    }
    // Random and unguessable: it ties a caller's report to our log line and tells nothing else.
    const correlationId = randomUUID();
    options.log.error(
      { err: original, path: formatted.path, correlationId },
      'internal error while answering a GraphQL request',
    );
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, correlationId },
    };
  };
}

/**
 * graphql-js's own complaint about the request (a variable it could not coerce, over WebSocket where nobody
 * codes it): no code, no path, and nothing but graphql-js's errors underneath. What a resolver throws has a
 * path; what breaks elsewhere in the server is not a GraphQLError.
 */
function isUncodedRequestError(original: unknown, code: string): boolean {
  return (
    code === '' &&
    original instanceof GraphQLError &&
    !original.path &&
    (original.originalError === undefined || original.originalError instanceof GraphQLError)
  );
}

function withoutSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return formatted.message.includes('Did you mean')
    ? { ...formatted, message: formatted.message.replace(SUGGESTION, '') }
    : formatted;
}

/**
 * Variable coercion failures (a string for a Float, say) come from graphql-js as BAD_USER_INPUT without
 * our field list; derive it from the message so every BAD_USER_INPUT names its field.
 */
function variableFieldErrors(formatted: GraphQLFormattedError): Record<string, unknown> | undefined {
  if (formatted.extensions?.validationErrors) return undefined;
  const field = VARIABLE_PATH.exec(formatted.message)?.[1] ?? VARIABLE_NAME.exec(formatted.message)?.[1];
  return field ? { validationErrors: [{ field, message: formatted.message }] } : undefined;
}

function withoutStack(
  formatted: GraphQLFormattedError,
  production: boolean,
  extra?: Record<string, unknown>,
): GraphQLFormattedError {
  if (!production && !extra) return formatted;
  return { ...formatted, extensions: { ...stripStack(formatted.extensions, production), ...extra } };
}

function stripStack(extensions: GraphQLFormattedError['extensions'], production: boolean): Record<string, unknown> {
  if (!extensions) return {};
  if (!production) return { ...extensions };
  const { stacktrace: _stacktrace, ...rest } = extensions;
  return rest;
}
