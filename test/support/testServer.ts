import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { createServer, type RunningServer } from '../../src/server';
import { FAKE_KLING_API_KEY, startFakeKling, type FakeKling, type FakeKlingOptions } from './fakeKling';
import { GraphQLTestClient } from './graphqlClient';

export interface TestServerOptions {
  /** extra environment, on top of a fast test setup pointing at the fake upstream */
  env?: Record<string, string>;
  fake?: FakeKlingOptions;
  /** an upstream several servers share (left running on close) */
  sharedFake?: FakeKling;
  /** reuse a database file (restart tests) */
  databaseFile?: string;
  /** the server's clock (default Date.now): e.g. to create tasks on other days */
  now?: () => number;
}

export interface TestServer {
  server: RunningServer;
  fake: FakeKling;
  client: GraphQLTestClient;
  /** every log line the server wrote, as text */
  logs(): string;
  databaseFile: string;
  /** stops the server (and the fake, and removes the temp dir unless the database was given) */
  close(): Promise<void>;
}

/** Captures pino's output in memory so tests can read (and grep) the log. */
class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(chunk.toString('utf8'));
    done();
  }
}

/**
 * A real server on a random port, talking to a real fake upstream over HTTP, with its own SQLite file.
 * Timings are shortened (fast polls, a short freshness window) so lifecycles finish in a second or two.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const fake =
    options.sharedFake ?? (await startFakeKling({ processingAfterMs: 300, succeedAfterMs: 900, ...options.fake }));
  const dir = options.databaseFile ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'lipsync-server-'));
  const databaseFile = options.databaseFile ?? path.join(dir as string, 'lipsync.db');
  const credentials =
    fake.auth.kind === 'apiKey'
      ? { KLING_API_KEY: fake.auth.apiKey ?? FAKE_KLING_API_KEY }
      : { KLING_ACCESS_KEY: fake.auth.accessKey, KLING_SECRET_KEY: fake.auth.secretKey };
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATABASE_URL: `file:${databaseFile}`,
    KLING_BASE_URL: fake.url,
    KLING_TIMEOUT_MS: '2000',
    KLING_RATE_LIMIT_RPS: '1000',
    // Tests and benchmarks create far more than a client's default budget (RATE_LIMIT_CREATES_PER_MINUTE).
    RATE_LIMIT_CREATES_PER_MINUTE: '1000000',
    TASK_FRESHNESS_MS: '100',
    POLL_MIN_MS: '50',
    POLL_MAX_MS: '200',
    ...credentials,
    ...options.env,
  });
  const capture = new LogCapture();
  const server = await createServer(config, { logDestination: capture, now: options.now });
  return {
    server,
    fake,
    client: new GraphQLTestClient(server.url, server.wsUrl),
    logs: () => capture.lines.join(''),
    databaseFile,
    async close() {
      await server.stop();
      if (!options.sharedFake) await fake.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A valid TEXT_TO_VIDEO input, to spread overrides into. */
export const TEXT_INPUT = {
  videoUrl: 'https://example.com/talking-head.mp4',
  text: 'Hello there',
  voiceId: 'genshin_vindi2',
  voiceLanguage: 'EN',
} as const;

export const CREATE_MUTATION = /* GraphQL */ `
  mutation Create($input: CreateLipSyncInput!) {
    createLipSync(input: $input) {
      id
      klingTaskId
      status
      queuePosition
      statusMessage
      mode
      createdAt
      updatedAt
      upstreamRequestId
      parentVideo { id url }
      videos { id url durationSeconds }
    }
  }
`;
