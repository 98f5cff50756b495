import { randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import type { KlingAuth, UpstreamConfig } from '../../src/config';
import type { KlingCreateBody } from '../../src/upstream/kling.types';
import { KlingRejection } from '../../src/upstream/simulated/KlingRejection';
import { TaskBook } from '../../src/upstream/simulated/TaskBook';

export type FakeEndpoint = 'create' | 'get' | 'list';

/** What the fake does instead of (or before) answering normally. */
export type FakeFault =
  /** answer this Kling envelope code (HTTP status and message default to Kling's own) */
  | { code: number; httpStatus?: number; message?: string }
  /** answer an HTML error page with this HTTP status, like a gateway in front of Kling */
  | { html: number }
  /** destroy the socket after reading the request */
  | { reset: true }
  /** read the request and never answer */
  | { hang: true }
  /** do the work (a create books the task), then never answer: the "did it go through?" case */
  | { acceptThenHang: true }
  /** answer normally, this much later */
  | { delayMs: number };

export interface FaultScope {
  /** only requests to this endpoint; default any */
  endpoint?: FakeEndpoint;
  /** how many requests it hits; default 1, Infinity for all */
  times?: number;
}

export interface RecordedRequest {
  method: string;
  /** path and query as received, prefix included */
  path: string;
  headers: IncomingHttpHeaders;
  /** parsed JSON, the raw text when it is not JSON, undefined when empty */
  body: unknown;
  endpoint: FakeEndpoint | null;
}

export interface FakeKlingOptions {
  /** static Bearer key the fake accepts (aggregator style); the default when no credentials are given */
  apiKey?: string;
  /** with secretKey: accept only HS256 JWTs signed with secretKey whose iss is accessKey (Kling direct) */
  accessKey?: string;
  secretKey?: string;
  /** path prefix in front of /v1, e.g. '/kling' */
  prefix?: string;
  processingAfterMs?: number;
  succeedAfterMs?: number;
  /** added to every answer */
  latencyMs?: number;
  /** false keeps only the per-endpoint counts, so a long benchmark does not hold every request in memory */
  recordRequests?: boolean;
}

export const FAKE_KLING_API_KEY = 'fake-kling-api-key';

const LIP_SYNC_PATH = '/v1/videos/lip-sync';
const gatewayPage = (status: number) => {
  const title = `${status} ${http.STATUS_CODES[status] ?? 'Error'}`;
  return `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>`;
};

/**
 * A real HTTP server on 127.0.0.1 that speaks the Kling lip-sync API over a TaskBook, with fault injection.
 * Kept cheap per request (benchmarks use it): no logging, no copies beyond what is recorded.
 */
export class FakeKling {
  readonly requests: RecordedRequest[] = [];
  readonly tasks: TaskBook;
  readonly auth: KlingAuth;
  private readonly server: http.Server;
  private readonly prefix: string;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly counts = new Map<FakeEndpoint | null, number>();
  private faults: Array<{ fault: FakeFault; endpoint?: FakeEndpoint; remaining: number }> = [];
  private latencyMs: number;
  private listVisibilityDelayMs = 0;
  private baseUrl = '';

  constructor(private readonly options: FakeKlingOptions = {}) {
    this.auth =
      options.accessKey && options.secretKey
        ? { kind: 'jwt', accessKey: options.accessKey, secretKey: options.secretKey }
        : { kind: 'apiKey', apiKey: options.apiKey ?? FAKE_KLING_API_KEY };
    this.prefix = (options.prefix ?? '').replace(/\/+$/, '');
    this.latencyMs = options.latencyMs ?? 0;
    this.tasks = new TaskBook({ processingAfterMs: options.processingAfterMs ?? 200, succeedAfterMs: options.succeedAfterMs ?? 600 });
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake Kling bug: ${error.message}`);
      });
    });
  }

  /** Base URL including the prefix, e.g. http://127.0.0.1:43121/kling */
  get url(): string {
    return this.baseUrl;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}${this.prefix}`;
    return this;
  }

  /** An upstream configuration that points at this fake with its credentials. */
  upstreamConfig(overrides: Partial<UpstreamConfig> = {}): UpstreamConfig {
    return { baseUrl: this.url, auth: this.auth, timeoutMs: 2_000, rateLimitRps: 1_000, maxSockets: 16, ...overrides };
  }

  count(endpoint: FakeEndpoint): number {
    return this.counts.get(endpoint) ?? 0;
  }

  inject(fault: FakeFault, scope: FaultScope = {}): void {
    this.faults.push({ fault, endpoint: scope.endpoint, remaining: scope.times ?? 1 });
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Tasks appear in list answers only `ms` after they were created, as Kling's list lags its creates. */
  setListVisibilityDelay(ms: number): void {
    this.listVisibilityDelayMs = ms;
  }

  /** Back to a fresh fake on the same port: no requests, faults or tasks. */
  reset(): void {
    this.requests.length = 0;
    this.counts.clear();
    this.faults = [];
    this.tasks.clear();
    this.latencyMs = this.options.latencyMs ?? 0;
    this.listVisibilityDelayMs = 0;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    // Also ends the sockets of hanging answers, which server.close() alone would wait for forever.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = this.route(req.method ?? 'GET', url.pathname);
    const body = parseBody(raw);
    const endpoint = route?.endpoint ?? null;
    this.counts.set(endpoint, (this.counts.get(endpoint) ?? 0) + 1);
    if (this.options.recordRequests !== false) {
      this.requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body, endpoint });
    }

    const fault = this.takeFault(endpoint);
    const delay = this.latencyMs + (fault && 'delayMs' in fault ? fault.delayMs : 0);
    if (delay > 0) await this.sleep(delay);
    if (fault && 'reset' in fault) return void req.socket.destroy();
    if (fault && 'hang' in fault) return;
    if (fault && 'html' in fault) {
      res.writeHead(fault.html, { 'content-type': 'text/html' });
      return void res.end(gatewayPage(fault.html));
    }

    const requestId = randomUUID();
    try {
      if (fault && 'code' in fault) throw new KlingRejection(fault.code, fault.message, fault.httpStatus);
      this.authenticate(req.headers.authorization);
      if (!route) throw new KlingRejection(1202, `Invalid request method: ${req.method} ${url.pathname}`);
      const data =
        route.endpoint === 'create'
          ? this.tasks.create(body as KlingCreateBody)
          : route.endpoint === 'get'
            ? this.tasks.get(route.taskId)
            : this.tasks
                .list(pageParam(url, 'pageNum', 1), pageParam(url, 'pageSize', 30))
                .filter((task) => Date.now() - task.created_at >= this.listVisibilityDelayMs);
      if (fault && 'acceptThenHang' in fault) return;
      sendJson(res, 200, { code: 0, message: 'SUCCEED', request_id: requestId, data });
    } catch (error) {
      if (!(error instanceof KlingRejection)) throw error;
      sendJson(res, error.httpStatus, { code: error.code, message: error.message, request_id: requestId });
    }
  }

  private route(method: string, pathname: string): { endpoint: 'create' | 'list' } | { endpoint: 'get'; taskId: string } | null {
    if (!pathname.startsWith(`${this.prefix}${LIP_SYNC_PATH}`)) return null;
    const rest = pathname.slice(this.prefix.length + LIP_SYNC_PATH.length);
    if (rest === '' || rest === '/') {
      if (method === 'POST') return { endpoint: 'create' };
      if (method === 'GET') return { endpoint: 'list' };
      return null;
    }
    if (method === 'GET' && /^\/[^/]+$/.test(rest)) return { endpoint: 'get', taskId: decodeURIComponent(rest.slice(1)) };
    return null;
  }

  private takeFault(endpoint: FakeEndpoint | null): FakeFault | undefined {
    const armed = this.faults.find((f) => f.endpoint === undefined || f.endpoint === endpoint);
    if (!armed) return undefined;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.faults.splice(this.faults.indexOf(armed), 1);
    return armed.fault;
  }

  /** Kling's auth codes: 1001 no header, 1000/1002 wrong, 1003 not yet valid, 1004 expired. */
  private authenticate(header: string | undefined): void {
    if (!header) throw new KlingRejection(1001);
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    if (!token) throw new KlingRejection(1002);
    if (this.auth.kind === 'apiKey') {
      if (token !== this.auth.apiKey) throw new KlingRejection(1000);
      return;
    }
    try {
      jwt.verify(token, this.auth.secretKey, { algorithms: ['HS256'], issuer: this.auth.accessKey });
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) throw new KlingRejection(1004);
      if (error instanceof jwt.NotBeforeError) throw new KlingRejection(1003);
      throw new KlingRejection(1002);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

/** Starts a fake Kling on a random port; close it in afterAll/afterEach. */
export function startFakeKling(options: FakeKlingOptions = {}): Promise<FakeKling> {
  return new FakeKling(options).listen();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function pageParam(url: URL, name: string, fallback: number): number {
  const value = url.searchParams.get(name);
  return value === null ? fallback : Number(value);
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
