import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Metrics } from '../../src/metrics';
import { KlingClient } from '../../src/upstream/KlingClient';
import { HttpTransport, TransportError } from '../../src/upstream/httpTransport';
import { textToVideoBody, upstreamFailure } from './support';

type Handler = (req: IncomingMessage, res: ServerResponse, context: { body: string; nthOnSocket: number }) => void;

/** A plain HTTP server whose handler knows how many requests its socket has carried (1 = fresh connection). */
interface TestServer {
  url: string;
  requests: Array<{
    method: string;
    path: string;
    headers: http.IncomingHttpHeaders;
    body: string;
    nthOnSocket: number;
  }>;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const transports: HttpTransport[] = [];
const clients: KlingClient[] = [];

afterEach(async () => {
  for (const transport of transports.splice(0)) transport.close();
  for (const client of clients.splice(0)) await client.close();
  for (const server of servers.splice(0)) await server.close();
  jest.restoreAllMocks();
});

async function startServer(handler: Handler): Promise<TestServer> {
  const perSocket = new WeakMap<Socket, number>();
  const requests: TestServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const nthOnSocket = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, nthOnSocket);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, nthOnSocket });
      handler(req, res, { body, nthOnSocket });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const started: TestServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(started);
  return started;
}

function transportFor(server: TestServer, maxBodyBytes?: number): HttpTransport {
  const transport = new HttpTransport({ baseUrl: server.url, maxSockets: 4, maxBodyBytes });
  transports.push(transport);
  return transport;
}

function klingClientFor(server: TestServer, metrics?: Metrics, timeoutMs = 2_000): KlingClient {
  const client = new KlingClient({
    config: {
      baseUrl: server.url,
      auth: { kind: 'apiKey', apiKey: 'k' },
      timeoutMs,
      rateLimitRps: 1_000,
      maxSockets: 4,
    },
    metrics,
    retryDelayMs: 5,
  });
  clients.push(client);
  return client;
}

const task = { task_id: '817067112967086149', task_status: 'submitted', created_at: 1, updated_at: 1 };
const ok = (res: ServerResponse, data: unknown = task) => {
  const text = JSON.stringify({ code: 0, message: 'SUCCEED', request_id: 'r-1', data });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

/** How a transport call failed (fails the test when it succeeds). */
async function transportFailure(call: Promise<unknown>): Promise<TransportError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

describe('HttpTransport', () => {
  it('sends the method, path under the base path, headers and a Content-Length body', async () => {
    const server = await startServer((_req, res) => ok(res));
    const transport = new HttpTransport({ baseUrl: `${server.url}/kling/`, maxSockets: 1 });
    transports.push(transport);

    const answer = await transport.send({
      method: 'POST',
      path: '/v1/x?a=1',
      headers: { 'Content-Type': 'application/json' },
      body: '{"é":1}',
      timeoutMs: 1000,
    });
    await transport.send({ method: 'GET', path: '/v1/x/1', headers: {}, timeoutMs: 1000 });

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ code: 0, data: task });
    const [post, get] = server.requests;
    expect([post.method, post.path, post.body, post.headers['content-length']]).toEqual([
      'POST',
      '/kling/v1/x?a=1',
      '{"é":1}',
      '8',
    ]);
    expect(post.headers['transfer-encoding']).toBeUndefined();
    expect([get.method, get.path, get.headers['content-length'], get.headers['content-type']]).toEqual([
      'GET',
      '/kling/v1/x/1',
      undefined,
      undefined,
    ]);
    // one keep-alive connection for both
    expect(get.nthOnSocket).toBe(2);
  });

  it('clears its one timer when the answer is complete', async () => {
    const server = await startServer((_req, res) => ok(res));
    const transport = transportFor(server);
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    const clearTimeoutSpy = jest.spyOn(global, 'clearTimeout');

    await transport.send({ method: 'GET', path: '/', headers: {}, timeoutMs: 54_321 });

    const ours = setTimeoutSpy.mock.calls.flatMap((call, i) =>
      call[1] === 54_321 ? [setTimeoutSpy.mock.results[i].value] : [],
    );
    expect(ours).toHaveLength(1);
    expect(clearTimeoutSpy.mock.calls.map((call) => call[0])).toContain(ours[0]);
  });

  it('joins a UTF-8 body split mid-character across chunks', async () => {
    const text = JSON.stringify({ code: 0, message: 'ÉÈ', data: { text: '口型同步'.repeat(2000) } });
    const bytes = Buffer.from(text, 'utf8');
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(bytes.subarray(0, 11)); // inside 'É'
      setTimeout(() => res.end(bytes.subarray(11)), 10);
    });
    const answer = await transportFor(server).send({ method: 'GET', path: '/', headers: {}, timeoutMs: 1000 });
    expect(answer.text).toBe(text);
  });

  it('bounds the whole exchange, body included, by the timeout', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"code":0,'); // then nothing more
    });
    const started = Date.now();
    const error = await transportFailure(
      transportFor(server).send({ method: 'GET', path: '/', headers: {}, timeoutMs: 150 }),
    );
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    expect(Date.now() - started).toBeLessThan(3_000); // slack for a loaded machine; without the bound it hangs for good
  });

  it('calls a body that breaks off mid-way a reset', async () => {
    const server = await startServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"code":0,', () => setTimeout(() => req.socket.destroy(), 10));
    });
    const error = await transportFailure(
      transportFor(server).send({ method: 'GET', path: '/', headers: {}, timeoutMs: 2000 }),
    );
    expect(error.kind).toBe('reset');
  });

  it('refuses a body over the cap, whether declared or streamed', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/declared') {
        res.writeHead(200, { 'content-length': String(64 * 1024) });
        return void res.write('x');
      }
      res.writeHead(200); // chunked, no length
      const block = Buffer.alloc(16 * 1024, 'x');
      for (let i = 0; i < 8; i++) res.write(block);
      res.end();
    });
    const transport = transportFor(server, 32 * 1024);
    for (const path of ['/declared', '/streamed']) {
      const error = await transportFailure(transport.send({ method: 'GET', path, headers: {}, timeoutMs: 2000 }));
      expect([path, error.kind, error.httpStatus]).toEqual([path, 'unreadable', 200]);
    }
  });

  it('decodes a gzip body a gateway sent unasked', async () => {
    const text = JSON.stringify({ code: 0, data: task });
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(zlib.gzipSync(text));
    });
    const answer = await transportFor(server).send({ method: 'GET', path: '/', headers: {}, timeoutMs: 1000 });
    expect(answer.text).toBe(text);
  });

  it('does not follow redirects', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere', 'content-length': '0' });
      res.end();
    });
    const answer = await transportFor(server).send({ method: 'GET', path: '/', headers: {}, timeoutMs: 1000 });
    expect(answer).toEqual({ status: 302, text: '' });
    expect(server.requests).toHaveLength(1);
  });

  describe('on a keep-alive socket the server closes as it is reused', () => {
    /** Answers the first request on each connection; drops the connection on any later one, unanswered. */
    const staleAfterFirst: Handler = (req, res, { nthOnSocket }) =>
      nthOnSocket === 1 ? ok(res) : req.socket.destroy();

    it('sends a GET once more on a fresh socket, within the same attempt', async () => {
      const server = await startServer(staleAfterFirst);
      const metrics = new Metrics();
      const client = klingClientFor(server, metrics);
      await client.getLipSync(task.task_id);

      const answer = await client.getLipSync(task.task_id);

      expect(answer.data.task_id).toBe(task.task_id);
      const path = `/v1/videos/lip-sync/${task.task_id}`;
      expect(server.requests.map((r) => [r.path, r.nthOnSocket])).toEqual([
        [path, 1],
        [path, 2],
        [path, 1],
      ]);
      const samples = (await metrics.upstreamRequests.get()).values.map((v) => [
        v.labels.endpoint,
        v.labels.code,
        v.value,
      ]);
      expect(samples).toEqual([['get', '0', 2]]);
    });

    it('sends it once more only', async () => {
      const server = await startServer((req, res, { nthOnSocket }) =>
        server.requests.length === 1 && nthOnSocket === 1 ? ok(res) : req.socket.destroy(),
      );
      const transport = transportFor(server);
      await transport.send({ method: 'GET', path: '/', headers: {}, timeoutMs: 1000 });

      const error = await transportFailure(transport.send({ method: 'GET', path: '/', headers: {}, timeoutMs: 1000 }));

      expect(error.kind).toBe('reset');
      expect(server.requests.map((r) => r.nthOnSocket)).toEqual([1, 2, 1]);
    });

    it('never re-sends a create: it may have reached Kling, so the outcome is unknown', async () => {
      const server = await startServer(staleAfterFirst);
      const client = klingClientFor(server);
      await client.createLipSync(textToVideoBody());

      const error = await upstreamFailure(client.createLipSync(textToVideoBody()));

      expect([error.code, error.retryable, error.outcomeUnknown]).toEqual(['UPSTREAM_UNAVAILABLE', true, true]);
      expect(error.message).toBe('The connection to Kling broke before an answer (ECONNRESET)');
      expect(server.requests.map((r) => [r.method, r.nthOnSocket])).toEqual([
        ['POST', 1],
        ['POST', 2],
      ]);
    });
  });
});

describe('KlingClient over HttpTransport', () => {
  it('turns an oversized answer into a non-JSON UPSTREAM_UNAVAILABLE whose outcome is unknown', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(11 * 1024 * 1024) });
      res.write('{');
    });
    const metrics = new Metrics();
    const error = await upstreamFailure(klingClientFor(server, metrics).createLipSync(textToVideoBody()));

    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toBe(`Kling answered HTTP 200 with a body of ${11 * 1024 * 1024} bytes`);
    expect([error.retryable, error.outcomeUnknown]).toEqual([true, true]);
    expect(server.requests).toHaveLength(1);
    const samples = (await metrics.upstreamRequests.get()).values.map((v) => [
      v.labels.endpoint,
      v.labels.code,
      v.value,
    ]);
    expect(samples).toEqual([['create', 'non_json', 1]]);
  });

  it('times out a create whose answer stops mid-body, outcome unknown, without re-sending it', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"code":0,');
    });
    const error = await upstreamFailure(klingClientFor(server, undefined, 150).createLipSync(textToVideoBody()));

    expect([error.code, error.outcomeUnknown]).toEqual(['UPSTREAM_TIMEOUT', true]);
    expect(error.message).toBe('Kling did not answer within 150 ms');
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a task_id sent as a JSON number: it has already lost precision and names another task', async () => {
    const server = await startServer((_req, res) => {
      const text =
        '{"code":0,"message":"SUCCEED","request_id":"r-1","data":{"task_id":817067112967086149,"task_status":"submitted"}}';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
    const error = await klingClientFor(server)
      .getLipSync(task.task_id)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
      message: expect.stringContaining('task_id is not an id string'),
    });
  });

  it('keeps well-formed tasks of a list page and counts the entries it could not trust', async () => {
    const server = await startServer((_req, res) =>
      ok(res, [
        task,
        null,
        { ...task, task_id: '817067112967086150', task_status: 7 },
        { ...task, task_id: '817067112967086151', task_info: { external_task_id: 5 } },
      ]),
    );
    const answer = await klingClientFor(server).listLipSync(1, 30);
    expect([answer.data.map((t) => t.task_id), answer.unreadable]).toEqual([[task.task_id], 3]);
  });

  it('sends a User-Agent of its own and asks for no compression', async () => {
    const server = await startServer((_req, res) => ok(res));
    await klingClientFor(server).getLipSync(task.task_id);
    expect(server.requests[0].headers['user-agent']).toBe('lipsync-graph');
    expect(server.requests[0].headers['accept-encoding']).toBeUndefined();
  });
});
