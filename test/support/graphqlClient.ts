import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
    extensions?: Record<string, unknown>;
  };
}

/** Real GraphQL over HTTP and graphql-ws, as a web app would send it. */
export class GraphQLTestClient {
  constructor(
    readonly url: string,
    readonly wsUrl: string,
    private readonly defaultHeaders: Record<string, string> = {},
  ) {}

  withHeaders(headers: Record<string, string>): GraphQLTestClient {
    return new GraphQLTestClient(this.url, this.wsUrl, { ...this.defaultHeaders, ...headers });
  }

  async request<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<T>> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.defaultHeaders, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: JSON.parse(text) };
  }

  /** Opens a graphql-ws connection (closed by the caller with `dispose`). */
  ws(connectionParams: Record<string, unknown> = {}): Client {
    return createClient({
      url: this.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { ...lowerKeys(this.defaultHeaders), ...connectionParams },
      retryAttempts: 0,
      lazy: true,
    });
  }

  /** Runs one subscription to its end; resolves with every result it sent. */
  subscribeAll<T = Record<string, any>>(
    client: Client,
    query: string,
    variables: Record<string, unknown>,
  ): Promise<FormattedExecutionResult<T, unknown>[]> {
    return new Promise((resolve, reject) => {
      const results: FormattedExecutionResult<T, unknown>[] = [];
      client.subscribe<T>(
        { query, variables },
        { next: (r) => results.push(r), error: (e) => reject(e), complete: () => resolve(results) },
      );
    });
  }
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
