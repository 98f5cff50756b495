import http from 'node:http';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** One operation text per kind, with variables, so the server parses and validates each document once. */
export const CREATE =
  'mutation Create($input: CreateLipSyncInput!) { createLipSync(input: $input) { id status createdAt } }';
export const TASK =
  'query Task($id: ID!) { lipSyncTask(id: $id) { id status statusMessage mode parentVideo { id url durationSeconds } ' +
  'videos { id url durationSeconds } createdAt updatedAt upstreamRequestId } }';
export const WATCH = 'subscription Watch($id: ID!) { lipSyncTaskUpdated(id: $id) { id status } }';

export const GRAPHQL_PATH = '/graphql';
export const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * How each mainstream client sends an operation: its headers and the extra body fields it adds (the same shapes
 * test/server/fast-lane.test.ts proves the server answers on its fast path, with each library's source named there).
 */
export interface ClientShape {
  headers: Record<string, string>;
  /** added to the body next to query and variables */
  extra: (operationName: string) => Record<string, unknown>;
}

export const CLIENTS = {
  'Apollo Client 3': { headers: { accept: '*/*', ...JSON_HEADERS }, extra: (operationName) => ({ operationName }) },
  'Apollo Client 4': {
    headers: { accept: 'application/graphql-response+json,application/json;q=0.9', ...JSON_HEADERS },
    extra: (operationName) => ({
      operationName,
      extensions: { clientLibrary: { name: '@apollo/client', version: '4.3.7' } },
    }),
  },
  urql: {
    headers: {
      accept:
        'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed',
      ...JSON_HEADERS,
    },
    extra: (operationName) => ({ operationName }),
  },
  'graphql-request': {
    headers: { accept: 'application/graphql-response+json, application/json', ...JSON_HEADERS },
    extra: (operationName) => ({ operationName }),
  },
  'Apollo Router': {
    headers: { accept: 'application/json', ...JSON_HEADERS },
    extra: (operationName) => ({ operationName }),
  },
  curl: { headers: JSON_HEADERS, extra: () => ({}) },
} satisfies Record<string, ClientShape>;

export type ClientName = keyof typeof CLIENTS;

let sequence = 0;

/** A createLipSync body with a distinct input each call (no idempotency key: every one is a new task). */
export function createBody(tag = 'b', client: ClientShape = CLIENTS.curl): string {
  sequence += 1;
  return JSON.stringify({
    ...client.extra('Create'),
    query: CREATE,
    variables: {
      input: {
        videoUrl: 'https://media.example.com/bench/face.mp4',
        text: `bench ${tag} ${process.pid} ${sequence}`,
        voiceId: 'genshin_vindi2', // in the bundled catalogue: no warnings in the answer
        voiceLanguage: 'ZH',
      },
    },
  });
}

export function taskBody(id: string, client: ClientShape = CLIENTS.curl): string {
  return JSON.stringify({ ...client.extra('Task'), query: TASK, variables: { id } });
}

export interface GraphQLAnswer {
  status: number;
  text: string;
  body: {
    data?: Record<string, any> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
}

/** A keep-alive agent without a socket cap: the harness must never be the bottleneck it measures. */
export function clientAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: Infinity });
}

export function post(origin: string, body: string, agent?: http.Agent, timeoutMs = 30_000): Promise<GraphQLAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${origin}${GRAPHQL_PATH}`,
      {
        method: 'POST',
        agent,
        headers: { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, text, body: JSON.parse(text) });
          } catch {
            reject(new Error(`not JSON (HTTP ${res.statusCode}): ${text.slice(0, 200)}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Creates one task and returns its id; any GraphQL error fails the run (a benchmark of errors measures nothing). */
export async function createTask(origin: string, agent?: http.Agent, tag?: string): Promise<string> {
  const answer = await post(origin, createBody(tag), agent);
  const id = answer.body.data?.createLipSync?.id as string | undefined;
  if (answer.status !== 200 || !id || answer.body.errors)
    throw new Error(`createLipSync failed: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
  return id;
}

/** `count` tasks, at most `concurrency` requests at a time. */
export async function createTasks(origin: string, count: number, concurrency = 32): Promise<string[]> {
  const agent = clientAgent();
  const ids: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      ids[i] = await createTask(origin, agent);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } finally {
    agent.destroy();
  }
  return ids;
}

/** A graphql-ws connection that is open and acknowledged when the promise resolves. */
export function openSubscriptionClient(wsUrl: string, timeoutMs = 20_000): Promise<Client> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`graphql-ws: no connection_ack within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      on: {
        connected: () => {
          clearTimeout(timer);
          resolve(client);
        },
        closed: (event) => {
          clearTimeout(timer);
          reject(new Error(`graphql-ws closed before ack: ${(event as { code?: number }).code ?? 'unknown'}`));
        },
      },
    });
  });
}

/** Opens `count` clients, `parallel` handshakes at a time (thousands at once would only measure SYN backlog). */
export async function openSubscriptionClients(wsUrl: string, count: number, parallel = 200): Promise<Client[]> {
  const clients: Client[] = [];
  try {
    for (let start = 0; start < count; start += parallel) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(parallel, count - start) }, () => openSubscriptionClient(wsUrl)),
      );
      clients.push(...batch);
    }
  } catch (error) {
    await disposeClients(clients);
    throw error;
  }
  return clients;
}

export async function disposeClients(clients: Client[]): Promise<void> {
  await Promise.allSettled(clients.map((client) => client.dispose()));
}
