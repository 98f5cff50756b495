import { loadConfig } from '../../src/config';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

/**
 * Outbound URL rules (issue 11, item 7) and the Idempotency-Key header's length (item 8): refused with
 * BAD_USER_INPUT naming the field, before anything reaches the upstream.
 */
const PUBLIC_VIDEO = 'https://example.com/talking-head.mp4';

/** Each is refused under the default policy; the comment says which rule. */
const HOSTILE_URLS: readonly string[] = [
  'http://example.com/a.mp4', // plain http
  'ftp://example.com/a.mp4',
  'https://user:secret@example.com/a.mp4', // userinfo
  'https://user@example.com/a.mp4',
  `https://example.com/${'a'.repeat(2048)}`, // too long
  'https://localhost/a.mp4',
  'https://LOCALHOST./a.mp4',
  'https://media.localhost/a.mp4',
  'https://127.0.0.1/a.mp4', // loopback, in every IPv4 spelling
  'https://2130706433/a.mp4',
  'https://0x7f000001/a.mp4',
  'https://0177.0.0.1/a.mp4',
  'https://127.1/a.mp4',
  'https://0x7f.1/a.mp4',
  'https://[::1]/a.mp4',
  'https://[::ffff:127.0.0.1]/a.mp4', // IPv4-mapped IPv6
  'https://[::ffff:a9fe:a9fe]/latest/meta-data',
  'https://169.254.169.254/latest/meta-data', // link-local (cloud metadata)
  'https://10.0.0.1/a.mp4', // RFC 1918
  'https://172.16.5.4/a.mp4',
  'https://192.168.1.10/a.mp4',
  'https://100.64.0.1/a.mp4', // carrier-grade NAT
  'https://0.0.0.0/a.mp4',
  'https://224.0.0.1/a.mp4', // multicast
  'https://255.255.255.255/a.mp4',
  'https://[fe80::1]/a.mp4',
  'https://[fc00::1]/a.mp4',
  'https://[2001:db8::1]/a.mp4', // documentation range
];

const FIELDS: ReadonlyArray<[string, (url: string) => Record<string, unknown>]> = [
  ['videoUrl', (url) => ({ ...TEXT_INPUT, videoUrl: url })],
  ['audioUrl', (url) => ({ videoUrl: PUBLIC_VIDEO, audioUrl: url })],
  ['callbackUrl', (url) => ({ ...TEXT_INPUT, callbackUrl: url })],
];

async function createWith(t: TestServer, input: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await t.client.request(CREATE_MUTATION, { input }, headers);
  return { res, error: res.body.errors?.[0] };
}

/** The same mutation over graphql-ws: the rules (and the server's policy) hold there too. */
async function createOverWebSocket(t: TestServer, input: Record<string, unknown>) {
  const client = t.client.ws();
  try {
    const [result] = await t.client.subscribeAll(client, CREATE_MUTATION, { input });
    return result.errors?.[0] as { extensions?: Record<string, unknown> } | undefined;
  } finally {
    await client.dispose();
  }
}

function fieldsNamed(error: { extensions?: Record<string, unknown> } | undefined): string[] {
  return ((error?.extensions?.validationErrors as Array<{ field: string }> | undefined) ?? []).map((e) => e.field);
}

describe('outbound URL rules (default: https, public hosts)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it.each(FIELDS)(
    'refuses every hostile %s with BAD_USER_INPUT naming it, and calls nobody',
    async (field, inputWith) => {
      const creates = t.fake.count('create');
      for (const url of HOSTILE_URLS) {
        const { error } = await createWith(t, inputWith(url));
        expect({ url, code: error?.extensions?.code, fields: fieldsNamed(error) }).toEqual({
          url,
          code: 'BAD_USER_INPUT',
          fields: [field],
        });
      }
      expect(t.fake.count('create')).toBe(creates);
    },
  );

  it('accepts https URLs on public names and public literal addresses, and sends the form it checked', async () => {
    for (const url of [
      'https://example.com/a.mp4',
      'https://8.8.8.8/a.mp4',
      'https://[2606:4700::1111]/a.mp4',
      'HTTPS://Example.COM/b.mp4',
    ]) {
      const { error } = await createWith(t, { ...TEXT_INPUT, videoUrl: url });
      expect(error).toBeUndefined();
    }
    const sent = t.fake.requests.filter((r) => r.endpoint === 'create').at(-1)!.body as {
      input: { video_url: string };
    };
    expect(sent.input.video_url).toBe('https://example.com/b.mp4');
  });

  it('refuses a hostile URL over WebSocket the same way', async () => {
    const creates = t.fake.count('create');
    const error = await createOverWebSocket(t, { ...TEXT_INPUT, videoUrl: 'https://0x7f.1/a.mp4' });
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(fieldsNamed(error)).toEqual(['videoUrl']);
    expect(t.fake.count('create')).toBe(creates);
  });

  it('holds the Idempotency-Key header to the input field’s 255 characters', async () => {
    const creates = t.fake.count('create');
    const { error } = await createWith(t, TEXT_INPUT, { 'idempotency-key': 'k'.repeat(256) });
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(fieldsNamed(error)).toEqual(['idempotencyKey']);
    expect(t.fake.count('create')).toBe(creates);
    expect((await t.server.store.listSubmitting()).length).toBe(0);
    const ok = await createWith(t, TEXT_INPUT, { 'idempotency-key': 'k'.repeat(255) });
    expect(ok.error).toBeUndefined();
    expect(t.fake.count('create')).toBe(creates + 1);
  });
});

describe('outbound URL rules with ALLOW_HTTP_MEDIA_URLS=true', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { ALLOW_HTTP_MEDIA_URLS: 'true' } });
  });
  afterAll(() => t.close());

  it('accepts http on public hosts, still never a private one', async () => {
    expect((await createWith(t, { ...TEXT_INPUT, videoUrl: 'http://example.com/a.mp4' })).error).toBeUndefined();
    const { error } = await createWith(t, { ...TEXT_INPUT, videoUrl: 'http://2130706433/a.mp4' });
    expect(fieldsNamed(error)).toEqual(['videoUrl']);
  });
});

describe('outbound URL rules with ALLOW_PRIVATE_URLS=true', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { ALLOW_PRIVATE_URLS: 'true' } });
  });
  afterAll(() => t.close());

  it('accepts loopback and private hosts, keeps https and no-userinfo, and warned at start', async () => {
    for (const url of ['https://127.0.0.1:8443/a.mp4', 'https://localhost/a.mp4', 'https://10.1.2.3/a.mp4']) {
      expect((await createWith(t, { ...TEXT_INPUT, videoUrl: url })).error).toBeUndefined();
    }
    for (const url of ['http://127.0.0.1/a.mp4', 'https://u:p@127.0.0.1/a.mp4']) {
      expect(fieldsNamed((await createWith(t, { ...TEXT_INPUT, videoUrl: url })).error)).toEqual(['videoUrl']);
    }
    expect(t.logs()).toMatch(/"level":40[^\n]*ALLOW_PRIVATE_URLS=true/);
  });

  it('applies this server’s policy over WebSocket too', async () => {
    expect(await createOverWebSocket(t, { ...TEXT_INPUT, videoUrl: 'https://127.0.0.1:8443/a.mp4' })).toBeUndefined();
  });
});

describe('ALLOW_HTTP_MEDIA_URLS and ALLOW_PRIVATE_URLS', () => {
  it('default to false and accept only true or false, naming the variable', () => {
    expect(loadConfig({}).outboundUrls).toEqual({ allowHttp: false, allowPrivate: false });
    expect(() => loadConfig({ ALLOW_PRIVATE_URLS: 'yes' })).toThrow(/ALLOW_PRIVATE_URLS/);
    expect(() => loadConfig({ ALLOW_HTTP_MEDIA_URLS: '1' })).toThrow(/ALLOW_HTTP_MEDIA_URLS/);
  });
});
