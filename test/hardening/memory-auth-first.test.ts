import { startTestServer, type TestServer } from '../support/testServer';

const TOKEN = 'tok-auth-first';

/** Issue 11, item 1: with AUTH_TOKENS set, a request without a valid token is refused before its body is read. */
describe('authentication before the body (AUTH_TOKENS)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { AUTH_TOKENS: `acme=${TOKEN}` } });
  });
  afterAll(() => t.close());

  const post = async (body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(t.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return {
      status: res.status,
      body: (await res.json()) as { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> },
    };
  };
  const refusal = {
    message: 'A valid access token is required: send Authorization: Bearer <token>',
    extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }),
  };

  it('answers 401 UNAUTHENTICATED in GraphQL shape, whatever the body', async () => {
    const bodies = [
      JSON.stringify({ query: '{ voices { id } }' }), // what the fast lane would have served
      '{{{ not json', // would be 400 if it were parsed
      JSON.stringify({ query: `{ voices { id } } #${'x'.repeat(9 * 1024 * 1024)}` }), // would be 413 if it were read
    ];
    for (const body of bodies) {
      for (const headers of [{}, { authorization: 'Bearer wrong' }] as Array<Record<string, string>>) {
        const res = await post(body, headers);
        expect(res.status).toBe(401);
        expect(res.body.errors).toEqual([expect.objectContaining(refusal)]);
      }
    }
  });

  it('reads, parses and answers the same requests with a valid token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await post(JSON.stringify({ query: '{ voices { id } }' }), auth)).status).toBe(200);
    expect((await post('{{{ not json', auth)).status).toBe(400);
    expect(
      (await post(JSON.stringify({ query: `{ voices { id } } #${'x'.repeat(9 * 1024 * 1024)}` }), auth)).status,
    ).toBe(413);
  });
});
