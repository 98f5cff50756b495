import net from 'node:net';
import { loadConfig } from '../../src/config';
import { startTestServer, type TestServer } from '../support/testServer';

/** Short timeouts so the test runs in seconds; the defaults are 20 s and 60 s (src/config/variables.ts). */
const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
/** Node checks its timeouts on an interval (a quarter of the shorter one here); add room for a loaded machine. */
const SLACK_MS = 8_000;

interface RawConnection {
  socket: net.Socket;
  /** everything the server sent */
  text(): string;
  /** resolves when the server (or the network) closed the connection, with when it happened */
  closed: Promise<number>;
}

function connect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined); // a reset ends in 'close' too
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now())));
    socket.once('connect', () => resolve({ socket, text: () => received, closed }));
    socket.once('error', reject);
  });
}

/** Sends a byte every `everyMs` until the connection closes. */
function trickle(connection: RawConnection, everyMs: number, byte = ' '): void {
  const timer = setInterval(() => {
    if (!connection.socket.destroyed) connection.socket.write(byte);
  }, everyMs);
  void connection.closed.then(() => clearInterval(timer));
}

async function waitUntil(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const KEEP_ALIVE_GET = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n';

describe('slow clients (issue 11, item 10)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      env: { HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) },
    });
  });
  afterAll(() => t.close());

  it('cuts off a trickled body within the request timeout (408), though the body would take hours', async () => {
    const connection = await connect(t.server.port);
    const started = Date.now();
    connection.socket.write(
      'POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"query":"',
    );
    trickle(connection, 100); // 100,000 bytes at 10 a second: about 3 hours
    const closedAt = await connection.closed;
    console.log(`trickled body cut off after ${closedAt - started} ms (request timeout ${REQUEST_TIMEOUT_MS} ms)`);
    expect(connection.text()).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAt - started).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
  });

  it('cuts off trickled headers within the headers timeout', async () => {
    const connection = await connect(t.server.port);
    const started = Date.now();
    connection.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    trickle(connection, 100, 'a');
    const closedAt = await connection.closed;
    console.log(`trickled headers cut off after ${closedAt - started} ms (headers timeout ${HEADERS_TIMEOUT_MS} ms)`);
    expect(connection.text()).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAt - started).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('still answers a normal request meanwhile', async () => {
    const res = await fetch(`${t.server.origin}/healthz`);
    expect(res.status).toBe(200);
  });
});

describe('timeouts and caps by default', () => {
  it('waits at most 20 s for headers and 60 s for a whole request, and caps connections', () => {
    const config = loadConfig({});
    expect(config.httpHeadersTimeoutMs).toBeLessThanOrEqual(20_000);
    expect(config.httpRequestTimeoutMs).toBeLessThanOrEqual(60_000);
    // B4 holds 10,000 WebSockets open (bench/scenarios/b4SubscriptionMemory.ts), each a connection too
    expect(config.wsMaxConnections).toBeGreaterThanOrEqual(10_000);
    expect(config.maxConnections).toBeGreaterThan(config.wsMaxConnections);
  });

  it('refuses a headers timeout longer than the request timeout, naming the variable', () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '30000', HTTP_REQUEST_TIMEOUT_MS: '20000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS/,
    );
  });
});

describe('connection cap (MAX_CONNECTIONS)', () => {
  const CAP = 3;
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { MAX_CONNECTIONS: String(CAP) } });
  });
  afterAll(() => t.close());

  it('refuses connections past the cap while answering the open ones, and accepts again once one closes', async () => {
    const open = await Promise.all(Array.from({ length: CAP }, () => connect(t.server.port)));
    for (const connection of open) connection.socket.write(KEEP_ALIVE_GET);
    await waitUntil(() => open.every((c) => c.text().startsWith('HTTP/1.1 200')), 'answers on the open connections');

    const extra = await connect(t.server.port);
    extra.socket.write(KEEP_ALIVE_GET);
    await extra.closed;
    expect(extra.text()).toBe('');

    // the open connections are still served
    const before = open[0].text().length;
    open[0].socket.write(KEEP_ALIVE_GET);
    await waitUntil(
      () => open[0].text().length > before && open[0].text().slice(before).startsWith('HTTP/1.1 200'),
      'a second answer',
    );

    open[1].socket.destroy();
    await open[1].closed;
    const later = await connect(t.server.port);
    later.socket.write(KEEP_ALIVE_GET);
    await waitUntil(() => later.text().startsWith('HTTP/1.1 200'), 'an answer on a new connection after one closed');
    for (const connection of [...open, later]) connection.socket.destroy();
  });
});
