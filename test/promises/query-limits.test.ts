import { startTestServer, type TestServer } from '../support/testServer';

/**
 * The query limits (src/composition/queryLimits.ts, servingLimits.ts: depth 12, cost 5000, 15 aliases,
 * 2000 tokens, no batching), each at its edge, on every way an operation reaches the server: the fast lane (a
 * JSON POST asking for application/json),
 * Apollo's pipeline (a POST that asks for a federation trace, which the fast lane leaves to Apollo, and a GET),
 * and graphql-ws.
 * Each path gets its own operation names, because the fast lane and the document cache remember texts.
 */

interface Answer {
  /** false when the operation was refused before execution */
  executed: boolean;
  messages: string[];
  /** which HTTP path answered (outside production): 'fast' or null for Apollo */
  path?: string | null;
}

type Path = 'fast' | 'apollo-post' | 'apollo-get' | 'websocket';

const ALIAS_LIMIT = 15;
const DEPTH_LIMIT = 12;
const COST_LIMIT = 5000;
const TOKEN_LIMIT = 2000;

/** `{ voices { ...on Voice { … { id } } } }`: graphql-armor counts each inline fragment as a level, so depth = 2 + fragments. */
function depthQuery(name: string, depth: number): string {
  const fragments = depth - 2;
  return `query ${name} { voices { ${'... on Voice { '.repeat(fragments)}id${' }'.repeat(fragments)} } }`;
}

/** graphql-armor does not count aliases of __typename, so the aliases are of a real field. */
function aliasQuery(name: string, aliases: number): string {
  return `query ${name} { ${Array.from({ length: aliases }, (_, i) => `a${i}: voices { id }`).join(' ')} }`;
}

/**
 * graphql-armor's cost (objects 2, scalars 1, ×1.5 per level, ×`first`):
 *   lipSyncTasks(first: 100) { edges { node { id } } }      = 100 × (2 + 1.5 × (2 + 1.5 × (2 + 1.5))) = 1287.5
 *   lipSyncTasks(first: 100) { pageInfo { hasNextPage } }   = 100 × (2 + 1.5 × (2 + 1.5))            = 725
 * two of the first and three of the second cost 4750 and merge into one field; each root __typename adds 1.
 */
function costQuery(name: string, cost: number): string {
  const typenames = cost - 4750;
  return (
    `query ${name} { ` +
    'lipSyncTasks(first: 100) { edges { node { id } } } '.repeat(2) +
    'lipSyncTasks(first: 100) { pageInfo { hasNextPage } } '.repeat(3) +
    '__typename '.repeat(typenames) +
    '}'
  );
}

/**
 * `query Name { … }` is 4 tokens; `tN: __typename` adds 3 (aliases of __typename are free for graphql-armor)
 * and a plain `__typename` 1. Distinct aliases, because graphql-js gives up validating thousands of
 * same-named fields (its overlapping-fields budget) long before the token limit.
 */
function tokenQuery(name: string, tokens: number): string {
  const aliased = Math.floor((tokens - 4) / 3);
  const plain = tokens - 4 - 3 * aliased;
  const fields = [
    ...Array.from({ length: aliased }, (_, i) => `t${i}: __typename`),
    ...Array<string>(plain).fill('__typename'),
  ];
  return `query ${name} { ${fields.join(' ')} }`;
}

describe('query limits on every path', () => {
  let t: TestServer;
  beforeAll(async () => {
    // Traces off: a POST asking for one still goes through Apollo's pipeline, with an answer like any other.
    t = await startTestServer({ env: { FEDERATION_TRACES: 'false' } });
  });
  afterAll(() => t.close());

  async function overHttp(query: string, how: Exclude<Path, 'websocket'>): Promise<Answer> {
    let response: Response;
    if (how === 'apollo-get') {
      const url = `${t.server.url}?query=${encodeURIComponent(query)}`;
      response = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    } else {
      const toApollo: Record<string, string> = how === 'fast' ? {} : { 'apollo-federation-include-trace': 'ftv1' };
      response = await fetch(t.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...toApollo },
        body: JSON.stringify({ query }),
      });
    }
    const body = (await response.json()) as { data?: unknown; errors?: Array<{ message: string }> };
    return {
      executed: 'data' in body && body.data !== null && response.status === 200,
      messages: (body.errors ?? []).map((e) => e.message),
      path: response.headers.get('x-lipsync-path'),
    };
  }

  async function overWebSocket(query: string): Promise<Answer> {
    const client = t.client.ws();
    try {
      return await new Promise<Answer>((resolve) => {
        let answer: Answer | null = null;
        client.subscribe(
          { query },
          {
            next: (result) => (answer = { executed: true, messages: (result.errors ?? []).map((e) => e.message) }),
            error: (errors) =>
              resolve({ executed: false, messages: (errors as Array<{ message: string }>).map((e) => e.message) }),
            complete: () => resolve(answer ?? { executed: false, messages: ['completed without a result'] }),
          },
        );
      });
    } finally {
      await client.dispose();
    }
  }

  const send = (query: string, path: Path) => (path === 'websocket' ? overWebSocket(query) : overHttp(query, path));
  const paths: Path[] = ['fast', 'apollo-post', 'apollo-get', 'websocket'];
  const tag = (path: Path) => path.replace('-', '_');

  async function expectAccepted(query: string, path: Path): Promise<void> {
    const answer = await send(query, path);
    expect({ executed: answer.executed, messages: answer.messages }).toEqual({ executed: true, messages: [] });
    // The fast lane is what ordinary clients hit: it must be the one that answered, limits and all.
    if (path === 'fast') expect(answer.path).toBe('fast');
    if (path === 'apollo-post' || path === 'apollo-get') expect(answer.path).toBeNull();
  }

  async function expectRefused(query: string, path: Path, message: RegExp): Promise<void> {
    const answer = await send(query, path);
    expect(answer.executed).toBe(false);
    expect(answer.messages).toEqual([expect.stringMatching(message)]);
  }

  it.each(paths)('aliases: %s accepts 15 and refuses 16', async (path) => {
    await expectAccepted(aliasQuery(`Aliases15_${tag(path)}`, ALIAS_LIMIT), path);
    await expectRefused(
      aliasQuery(`Aliases16_${tag(path)}`, ALIAS_LIMIT + 1),
      path,
      /Aliases limit of 15 exceeded, found 16/,
    );
  });

  it.each(paths)('depth: %s accepts 12 and refuses 13', async (path) => {
    await expectAccepted(depthQuery(`Depth12_${tag(path)}`, DEPTH_LIMIT), path);
    await expectRefused(
      depthQuery(`Depth13_${tag(path)}`, DEPTH_LIMIT + 1),
      path,
      /Query depth limit of 12 exceeded, found 13/,
    );
  });

  it.each(paths)('cost: %s accepts 5000 and refuses 5001', async (path) => {
    await expectAccepted(costQuery(`Cost5000_${tag(path)}`, COST_LIMIT), path);
    await expectRefused(
      costQuery(`Cost5001_${tag(path)}`, COST_LIMIT + 1),
      path,
      /Cost limit of 5000 exceeded, found 5001/,
    );
  });

  it.each(paths)('tokens: %s accepts 2000 and refuses 2001', async (path) => {
    await expectAccepted(tokenQuery(`Tokens2000_${tag(path)}`, TOKEN_LIMIT), path);
    await expectRefused(
      tokenQuery(`Tokens2001_${tag(path)}`, TOKEN_LIMIT + 1),
      path,
      /Document contains more tha[nt] 2000 tokens/ /* graphql-js spells it "more that" */,
    );
  });

  it.each(['application/json', 'application/graphql-response+json'])(
    'refuses a batch of operations (accept: %s)',
    async (accept) => {
      const response = await fetch(t.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept },
        body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ voices { id } }' }]),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { errors?: Array<{ message: string }> };
      expect(body.errors?.[0]?.message).toMatch(/batching/i);
    },
  );
});
