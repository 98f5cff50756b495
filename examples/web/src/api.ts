import { createClient } from 'graphql-ws';
import type { TypedDocumentString } from './gql/graphql';

/** The server this page came from: /demo is served beside /graphql. */
const GRAPHQL_PATH = '/graphql';

export interface FieldError {
  field: string;
  message: string;
}

/** A GraphQL error as this server formats it (README "Errors"). */
export interface ServerError {
  message: string;
  extensions?: {
    code?: string;
    /** the finer cause under a code, e.g. NOT_CANCELABLE under BAD_USER_INPUT */
    reason?: string;
    validationErrors?: FieldError[];
    upstream?: { code?: number; message?: string; requestId?: string };
  };
}

/** Errors from an operation, kept whole so the page can tie each to its field or show its upstream request id. */
export class ApiError extends Error {
  constructor(readonly errors: readonly ServerError[]) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'ApiError';
  }
}

/** Readable lines for any failure. */
export function errorLines(error: unknown): string[] {
  if (error instanceof ApiError) return error.errors.map(describeServerError);
  return [error instanceof Error ? error.message : String(error)];
}

/** Its code (and reason) and message; an upstream error also its Kling request id, which Kling's support asks for. */
export function describeServerError({ message, extensions }: ServerError): string {
  const reason = extensions?.reason ? ` (${extensions.reason})` : '';
  const code = extensions?.code ? `${extensions.code}${reason}: ` : '';
  const requestId = extensions?.upstream?.requestId ? ` (Kling request id ${extensions.upstream.requestId})` : '';
  return `${code}${message}${requestId}`;
}

/** One query or mutation over HTTP POST; the typed document gives the result and variables their types. */
export async function execute<Result, Variables>(
  document: TypedDocumentString<Result, Variables>,
  variables: NoInfer<Variables>,
): Promise<Result> {
  const response = await fetch(GRAPHQL_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await response.json().catch(() => null)) as { data?: Result | null; errors?: ServerError[] } | null;
  if (!body) throw new Error(`the server answered HTTP ${response.status} without a GraphQL result`);
  if (body.errors?.length) throw new ApiError(body.errors);
  return body.data as Result;
}

const socket = createClient({
  url: () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${GRAPHQL_PATH}`,
  lazy: true,
  retryAttempts: 5,
});

export interface Observer<Result> {
  next(data: Result): void;
  error(error: Error): void;
  complete(): void;
}

/** A subscription over graphql-ws; returns the function that ends it. */
export function subscribe<Result, Variables extends Record<string, unknown>>(
  document: TypedDocumentString<Result, Variables>,
  variables: NoInfer<Variables>,
  observer: Observer<Result>,
): () => void {
  return socket.subscribe<Result>(
    { query: document.toString(), variables },
    {
      next: (result) => {
        if (result.errors?.length) observer.error(new ApiError(result.errors as ServerError[]));
        else if (result.data) observer.next(result.data);
      },
      error: (error) => observer.error(asError(error)),
      complete: () => observer.complete(),
    },
  );
}

/** graphql-ws reports an Error, a CloseEvent or the GraphQL errors of a refused subscription. */
function asError(error: unknown): Error {
  if (error instanceof Error) return error;
  if (Array.isArray(error)) return new ApiError(error as ServerError[]);
  if (error instanceof CloseEvent)
    return new Error(`the connection closed (${error.code}${error.reason ? ` ${error.reason}` : ''})`);
  return new Error('the connection failed');
}
