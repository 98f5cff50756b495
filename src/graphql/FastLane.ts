import {
  execute,
  getOperationAST,
  GraphQLError,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RequestContext } from '../context';
import type { Metrics } from '../metrics';
import { cacheControlHeader } from './cacheHints';
import { responseMediaType } from './mediaTypes';
import type { OperationRecorder } from './OperationRecorder';
import type { PreparedDocuments } from './PreparedDocuments';

export interface FastLaneOptions {
  schema: GraphQLSchema;
  /** parsed and validated with the same rules and limits Apollo applies */
  documents: PreparedDocuments;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  recorder: OperationRecorder;
  production: boolean;
  /** counts the answers this lane gives: which path answered is observable in production too */
  metrics: Metrics;
  /**
   * Apollo's persisted-query cache, with the key prefix Apollo gives it: a request that carries both the text
   * and its hash registers the text there, as Apollo does, so the client's later hash-only requests are found
   */
  persistedQueries?: KeyValueCache<string>;
  log: Logger;
}

interface PreparedOperation {
  document: DocumentNode;
  operationName: string | null;
  isQuery: boolean;
  /** top-level fields, to tell whether every one of them gave a cache hint */
  rootFields: number;
}

interface GraphQLBody {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  /** what clients add: Apollo Client 4's `clientLibrary` (ignored, as Apollo does), a persisted-query hash */
  extensions?: { persistedQuery?: unknown } | null;
}

interface PersistedQuery {
  version: 1;
  sha256Hash: string;
}

const INTROSPECTION = /\b__(schema|type)\b/;
/** incremental delivery: Apollo answers those in parts (multipart/mixed) */
const INCREMENTAL = /@(defer|stream)\b/;

/**
 * The hot path for what web apps send over and over: a JSON POST of an operation already seen, as Apollo
 * Client 3 and 4, urql, graphql-request and a federation router send it — `application/json` or
 * `application/graphql-response+json` answers (negotiated exactly as Apollo does, src/graphql/mediaTypes.ts),
 * extensions such as `clientLibrary`, a persisted-query hash next to its text. Parsing and
 * validation (with Apollo's rules and the query limits) happen once per distinct operation; afterwards a
 * request is only context, execute, format. Everything else — GET, hash-only persisted queries, batches,
 * invalid or introspection operations, multipart answers, federation traces —
 * goes through Apollo's full pipeline, which stays the reference for behaviour (its own test suite runs
 * against our HTTP layer). The profile that motivated it: Apollo's per-request pipeline was most of the
 * cost of a read. The caller has authenticated the request already (its context is given), and the only
 * cache is the shared, byte-bounded PreparedDocuments: picking the operation out of a document is cheap.
 */
export class FastLane {
  constructor(private readonly options: FastLaneOptions) {}

  /** Answers the request and returns true, or returns false (having written nothing) for Apollo to answer. */
  async handle(req: IncomingMessage, res: ServerResponse, body: unknown, context: RequestContext): Promise<boolean> {
    if (req.method !== 'POST' || req.headers['apollo-federation-include-trace']) return false;
    const mediaType = responseMediaType(req.headers.accept);
    if (mediaType === null || !isPlainOperation(body)) return false;
    const persisted = body.extensions?.persistedQuery;
    if (
      persisted !== undefined &&
      !(isPersistedQuery(persisted) && this.options.persistedQueries && persisted.sha256Hash === sha256Hex(body.query))
    ) {
      return false; // Apollo words every refusal (version, mismatching hash, persisted queries off)
    }
    const operation = this.prepare(body.query, body.operationName ?? null);
    if (!operation) return false;
    if (persisted !== undefined) this.register(persisted as PersistedQuery, body.query);
    const started = process.hrtime.bigint();
    const result = (await execute({
      schema: this.options.schema,
      document: operation.document,
      contextValue: context,
      variableValues: body.variables ?? undefined,
      operationName: operation.operationName,
    })) as ExecutionResult;
    // No `data` means the request never executed: its variables could not be coerced (Apollo: BAD_USER_INPUT, 400).
    const coercionFailed = !('data' in result);
    const errors = result.errors?.map((error) => this.format(error, coercionFailed));
    const payload: Record<string, unknown> = errors
      ? { errors, ...('data' in result ? { data: result.data } : {}) }
      : { data: result.data };
    if (context.warnings.length) payload.extensions = { warnings: context.warnings };
    res.statusCode = coercionFailed ? 400 : 200;
    res.setHeader('content-type', mediaType);
    // Outside production, tells tests (and anyone debugging) which path answered: test/server/fast-lane.test.ts.
    if (!this.options.production) res.setHeader('x-lipsync-path', 'fast');
    res.setHeader(
      'cache-control',
      operation.isQuery ? cacheControlHeader(context.cacheHints, operation.rootFields) : 'no-store',
    );
    res.end(JSON.stringify(payload));
    this.options.recorder.record({
      operationName: operation.operationName,
      operationType: operation.isQuery ? 'query' : 'mutation',
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      errorCodes: errors?.map((e) => String(e.extensions?.code)) ?? [],
      context,
    });
    this.options.metrics.fastLaneAnswers.inc();
    return true;
  }

  /** As Apollo does once the operation is valid: keeps the text under its hash, not waiting, warning on failure. */
  private register(persisted: PersistedQuery, query: string): void {
    Promise.resolve(this.options.persistedQueries?.set(persisted.sha256Hash, query)).catch((error: unknown) =>
      this.options.log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'could not keep a persisted query',
      ),
    );
  }

  /** The operation to execute, or null when Apollo should answer this one. */
  private prepare(query: string, operationName: string | null): PreparedOperation | null {
    if (INTROSPECTION.test(query)) return null; // Apollo decides whether introspection is allowed
    if (INCREMENTAL.test(query)) return null;
    const { document } = this.options.documents.get(query);
    if (!document) return null; // Apollo words the errors
    const operation = getOperationAST(document, operationName);
    if (!operation || operation.operation === 'subscription') return null;
    return {
      document,
      operationName: operation.name?.value ?? null,
      isQuery: operation.operation === 'query',
      rootFields: operation.selectionSet.selections.length,
    };
  }

  private format(error: GraphQLError, badInput: boolean): GraphQLFormattedError {
    const json = error.toJSON();
    const formatted = badInput ? { ...json, extensions: { ...json.extensions, code: 'BAD_USER_INPUT' } } : json;
    const stack = this.options.production ? undefined : (error.originalError ?? error).stack;
    // Apollo adds the stack outside production; so does this lane, so answers do not depend on the path taken.
    const withStack = stack
      ? { ...formatted, extensions: { ...formatted.extensions, stacktrace: stack.split('\n') } }
      : formatted;
    return this.options.formatError(withStack, error);
  }
}

function isPlainOperation(body: unknown): body is GraphQLBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const { query, variables, operationName, extensions } = body as Record<string, unknown>;
  return (
    typeof query === 'string' &&
    (extensions === undefined ||
      extensions === null ||
      (typeof extensions === 'object' && !Array.isArray(extensions))) &&
    (variables === undefined || variables === null || (typeof variables === 'object' && !Array.isArray(variables))) &&
    (operationName === undefined || operationName === null || typeof operationName === 'string')
  );
}

function isPersistedQuery(value: unknown): value is PersistedQuery {
  if (value === null || typeof value !== 'object') return false;
  const { version, sha256Hash } = value as Record<string, unknown>;
  return version === 1 && typeof sha256Hash === 'string';
}

/** Apollo's key for a persisted query: the hex SHA-256 of its text. */
function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}
