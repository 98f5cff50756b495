import {
  execute,
  getOperationAST,
  GraphQLError,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../context';
import { cacheControlHeader } from './cacheHints';
import type { OperationRecorder } from './OperationRecorder';
import type { PreparedDocuments } from './PreparedDocuments';

export interface FastLaneOptions {
  schema: GraphQLSchema;
  /** parsed and validated with the same rules and limits Apollo applies */
  documents: PreparedDocuments;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  recorder: OperationRecorder;
  production: boolean;
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
}

const INTROSPECTION = /\b__(schema|type)\b/;

/**
 * The hot path for what web apps send over and over: a JSON POST of an operation already seen. Parsing and
 * validation (with Apollo's rules and the query limits) happen once per distinct operation; afterwards a
 * request is only context, execute, format. Everything else — GET, persisted queries, batches, invalid or
 * introspection operations, multipart or graphql-response+json answers, federation traces —
 * goes through Apollo's full pipeline, which stays the reference for behaviour (its own test suite runs
 * against our HTTP layer). The profile that motivated it: Apollo's per-request pipeline was most of the
 * cost of a read. The caller has authenticated the request already (its context is given), and the only
 * cache is the shared, byte-bounded PreparedDocuments: picking the operation out of a document is cheap.
 */
export class FastLane {
  constructor(private readonly options: FastLaneOptions) {}

  /** Answers the request and returns true, or returns false (having written nothing) for Apollo to answer. */
  async handle(req: IncomingMessage, res: ServerResponse, body: unknown, context: RequestContext): Promise<boolean> {
    if (req.method !== 'POST' || !acceptsPlainJson(req) || req.headers['apollo-federation-include-trace']) return false;
    if (!isPlainOperation(body)) return false;
    const operation = this.prepare(body.query, body.operationName ?? null);
    if (!operation) return false;
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
    const payload: Record<string, unknown> = errors ? { errors, ...('data' in result ? { data: result.data } : {}) } : { data: result.data };
    if (context.warnings.length) payload.extensions = { warnings: context.warnings };
    res.statusCode = coercionFailed ? 400 : 200;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    // Outside production, tells tests (and anyone debugging) which path answered: test/server/fast-lane.test.ts.
    if (!this.options.production) res.setHeader('x-lipsync-path', 'fast');
    res.setHeader('cache-control', operation.isQuery ? cacheControlHeader(context.cacheHints, operation.rootFields) : 'no-store');
    res.end(JSON.stringify(payload));
    this.options.recorder.record({
      operationName: operation.operationName,
      operationType: operation.isQuery ? 'query' : 'mutation',
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      errorCodes: errors?.map((e) => String(e.extensions?.code)) ?? [],
      context,
    });
    return true;
  }

  /** The operation to execute, or null when Apollo should answer this one. */
  private prepare(query: string, operationName: string | null): PreparedOperation | null {
    if (INTROSPECTION.test(query)) return null; // Apollo decides whether introspection is allowed
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
    const withStack = stack ? { ...formatted, extensions: { ...formatted.extensions, stacktrace: stack.split('\n') } } : formatted;
    return this.options.formatError(withStack, error);
  }
}

function acceptsPlainJson(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return !accept || accept === '*/*' || (accept.startsWith('application/json') && !accept.includes('graphql-response'));
}

function isPlainOperation(body: unknown): body is GraphQLBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const { query, variables, operationName, extensions } = body as Record<string, unknown>;
  return (
    typeof query === 'string' &&
    extensions === undefined &&
    (variables === undefined || variables === null || (typeof variables === 'object' && !Array.isArray(variables))) &&
    (operationName === undefined || operationName === null || typeof operationName === 'string')
  );
}
