import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody } from './readBody';

export interface GraphQLHttpHandlerOptions<TContext extends BaseContext> {
  server: ApolloServer<TContext>;
  /** the request's context; throwing (e.g. UNAUTHENTICATED) refuses the request before its body is read */
  context: (req: IncomingMessage) => Promise<TContext>;
  /** largest accepted request body in bytes */
  bodyLimit: number;
  /** tried first with the parsed body; answers and returns true, or leaves the request to Apollo */
  fastLane?: (req: IncomingMessage, res: ServerResponse, body: unknown, context: TContext) => Promise<boolean>;
}

/**
 * Apollo Server on bare `node:http`: the whole integration is turning a request into Apollo's
 * HTTPGraphQLRequest and its answer back. No framework sits in between (see docs/performance.md, "Anchors": Express and
 * its Apollo middleware cost more than everything else we do per request).
 *
 * The caller is authenticated before anything of the body is read: a refused request costs no parsing and no
 * cache entry, however large or numerous (test/hardening/memory.test.ts sends thousands).
 * Apollo still words the refusal — it builds the context before it looks at the body, so given none it answers
 * the failed context exactly as before, through the shared error formatter — and Node discards the unread body.
 */
export function createGraphQLHttpHandler<TContext extends BaseContext>(options: GraphQLHttpHandlerOptions<TContext>) {
  const { server, context, bodyLimit, fastLane } = options;
  const answer = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    context: () => Promise<TContext>,
  ): Promise<void> => {
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      headers: toHeaderMap(req),
      search: searchOf(req.url),
      body,
    };
    const response = await server.executeHTTPGraphQLRequest({ httpGraphQLRequest, context });
    res.statusCode = response.status ?? 200;
    for (const [name, value] of response.headers) res.setHeader(name, value);
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
  return async function handleGraphQL(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let contextValue: TContext;
    try {
      contextValue = await context(req);
    } catch (error) {
      return answer(req, res, undefined, () => Promise.reject(error));
    }
    let body: unknown;
    try {
      body = await parseBody(req, bodyLimit);
    } catch (error) {
      return sendRequestError(res, error instanceof BodyTooLargeError ? 413 : 400, errorMessage(error));
    }
    if (fastLane && (await fastLane(req, res, body, contextValue))) return;
    return answer(req, res, body, async () => contextValue);
  };
}

/** Like express.json(): JSON bodies are parsed, any other body is left for Apollo to refuse. */
async function parseBody(req: IncomingMessage, limit: number): Promise<unknown> {
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  const text = await readBody(req, limit);
  if (!isJson(req.headers['content-type'])) return undefined;
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`Invalid JSON in request body: ${errorMessage(error)}`, { cause: error });
  }
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return mediaType === 'application/json';
}

function toHeaderMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const existing = headers.get(name);
    headers.set(name, existing === undefined ? raw[i + 1] : `${existing}, ${raw[i + 1]}`);
  }
  return headers;
}

function searchOf(url: string | undefined): string {
  const q = url?.indexOf('?') ?? -1;
  return q === -1 || !url ? '' : url.slice(q);
}

/** Errors before GraphQL starts (unreadable body) still answer in GraphQL's shape. */
function sendRequestError(res: ServerResponse, status: number, message: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] }));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
