import WebSocket from 'ws';
import { startTestServer, type TestServer } from './testServer';

/**
 * What README.md's "Use it from a client" snippets assume is defined: where the server is and a client token.
 * The client tests run those snippets against a real server that requires tokens, as production does.
 */
export interface ClientSnippetServer {
  GRAPHQL_HTTP: string;
  GRAPHQL_WS: string;
  TOKEN: string;
  testServer: TestServer;
}

const TOKEN = 'readme-client-token';

export async function startClientSnippetServer(): Promise<ClientSnippetServer> {
  // Browsers and Node ≥ 22 have a global WebSocket, which graphql-ws picks up; Node 20 needs one from `ws`.
  (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
  const testServer = await startTestServer({ env: { AUTH_TOKENS: `readme=${TOKEN}` } });
  return { GRAPHQL_HTTP: testServer.server.url, GRAPHQL_WS: testServer.server.wsUrl, TOKEN, testServer };
}

/** The `input` of README.md's snippets: a TEXT_TO_VIDEO task. */
export const SNIPPET_INPUT = {
  videoUrl: 'https://example.com/face.mp4',
  text: 'Hello there',
  voiceId: 'genshin_vindi2',
  voiceLanguage: 'EN',
};

/** The `Task` of README.md's snippets: the fields they select. */
export type Task = { id: string; status: string; videos: { url: string }[] };
