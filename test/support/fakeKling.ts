import { randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import send from 'send';
import { FakeAdvancedKling, type FakeAdvancedEndpoint, type FakeAdvancedRoute } from './fakeAdvancedKling';
import { FakeRejection, FakeTaskLedger, newKlingId, type FakeTaskData } from './fakeTaskLedger';

/*
 * A fake Kling written from docs/kling.md alone. It imports nothing from src/ (not even types), so a
 * misreading of Kling's format in src/ fails a test instead of hiding in the fake too.
 */

/** the legacy lip-sync family, and advanced lip-sync's endpoints (fakeAdvancedKling.ts) */
export type FakeEndpoint = 'create' | 'get' | 'list' | FakeAdvancedEndpoint;

/** Credentials the fake accepts, in the shape the server's upstream configuration uses. */
export type FakeAuth = { kind: 'apiKey'; apiKey: string } | { kind: 'jwt'; accessKey: string; secretKey: string };

/** An upstream configuration pointing at the fake (the fields the server's own upstream configuration has). */
export interface FakeUpstreamConfig {
  baseUrl: string | null;
  auth: FakeAuth | null;
  timeoutMs: number;
  rateLimitRps: number;
  maxSockets: number;
}

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
  | { delayMs: number }
  /** do the work, then answer HTTP 200 with a cut-off JSON body */
  | { malformedJson: true }
  /** do the work, then answer `code: 0` without `data` */
  | { dataMissing: true }
  /** do the work, then report an undocumented task_status (list: the first task of the page only) */
  | { unknownStatus: true | string }
  /**
   * do the work, then answer about another task: create and get name a task that is not the one made or asked
   * for; in a list the first task carries the second one's task_id (a new id when it is alone)
   */
  | { mismatchedTaskId: true };

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
  /** when set, each task's duration is drawn uniformly between succeedAfterMs and this */
  succeedAfterMsMax?: number;
  /** POST the task to the create's `callback_url` when it starts processing and when it ends, as Kling does */
  sendCallbacks?: boolean;
  /** added to every answer */
  latencyMs?: number;
  /** an mp4 served at every GET <url>/media/…, where result videos then point, so a browser can play them */
  mediaFile?: string;
  /** tasks running at once at most; more creates answer 1303 (Kling's per-resource-pack concurrency limit) */
  maxRunning?: number;
  /** false keeps only the per-endpoint counts, so a long benchmark does not hold every request in memory */
  recordRequests?: boolean;
}

export const FAKE_KLING_API_KEY = 'fake-kling-api-key';

const LIP_SYNC_PATH = '/v1/videos/lip-sync';
const MEDIA_PATH = '/media';
const UNKNOWN_STATUS = 'paused_for_review';

/** docs/kling.md, "Error codes": the HTTP status and wording Kling pairs with each code. */
const KLING_CODES: Readonly<Record<number, [httpStatus: number, message: string]>> = {
  1000: [401, 'Authentication failed'],
  1001: [401, 'Authorization is empty'],
  1002: [401, 'Authorization is invalid'],
  1003: [401, 'Authorization is not yet valid'],
  1004: [401, 'Authorization has expired'],
  1100: [429, 'Account exception'],
  1101: [429, 'Account in arrears'],
  1102: [429, 'Resource pack exhausted or expired'],
  1103: [403, 'No permission to access this resource'],
  1200: [400, 'Invalid request parameters'],
  1201: [400, 'Invalid parameter value'],
  1202: [404, 'Invalid request method'],
  1203: [404, 'Requested resource does not exist'],
  1300: [400, 'Platform policy triggered'],
  1301: [400, 'Content safety policy triggered'],
  1302: [429, 'Too many requests, please slow down'],
  1303: [429, 'parallel task over resource pack limit'],
  1304: [429, 'IP allow-list policy triggered'],
  5000: [500, 'Server internal error'],
  5001: [503, 'Service temporarily unavailable, please try again later'],
  5002: [504, 'Server internal timeout'],
};
/** Every code docs/kling.md lists, for tests that walk them all. */
export const KLING_ERROR_CODES: readonly number[] = Object.keys(KLING_CODES).map(Number);

const gatewayPage = (status: number) => {
  const title = `${status} ${http.STATUS_CODES[status] ?? 'Error'}`;
  return `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>`;
};

type Route = { endpoint: 'create' | 'list' } | { endpoint: 'get'; taskId: string } | FakeAdvancedRoute;

/**
 * A real HTTP server on 127.0.0.1 that speaks the Kling lip-sync API, with fault injection.
 * Kept cheap per request (benchmarks use it): no logging, no copies beyond what is recorded.
 */
export class FakeKling {
  readonly requests: RecordedRequest[] = [];
  readonly tasks: FakeTaskLedger;
  /** identify-face sessions and the advanced lip-sync family's own tasks (`advanced.tasks`) */
  readonly advanced: FakeAdvancedKling;
  readonly auth: FakeAuth;
  private readonly server: http.Server;
  private readonly prefix: string;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly counts = new Map<FakeEndpoint | null, number>();
  private faults: Array<{ fault: FakeFault; endpoint?: FakeEndpoint; remaining: number }> = [];
  private latencyMs: number;
  private baseUrl = '';

  constructor(private readonly options: FakeKlingOptions = {}) {
    this.auth =
      options.accessKey && options.secretKey
        ? { kind: 'jwt', accessKey: options.accessKey, secretKey: options.secretKey }
        : { kind: 'apiKey', apiKey: options.apiKey ?? FAKE_KLING_API_KEY };
    this.prefix = (options.prefix ?? '').replace(/\/+$/, '');
    this.latencyMs = options.latencyMs ?? 0;
    this.tasks = new FakeTaskLedger({
      processingAfterMs: options.processingAfterMs ?? 200,
      succeedAfterMs: options.succeedAfterMs ?? 600,
      maxRunning: options.maxRunning,
      succeedAfterMsMax: options.succeedAfterMsMax,
    });
    this.advanced = new FakeAdvancedKling(
      {
        processingAfterMs: options.processingAfterMs ?? 200,
        succeedAfterMs: options.succeedAfterMs ?? 600,
        maxRunning: options.maxRunning,
        succeedAfterMsMax: options.succeedAfterMsMax,
      },
      () => this.tasks.mediaBaseUrl,
    );
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
    if (this.options.mediaFile) this.tasks.mediaBaseUrl = `${this.baseUrl}${MEDIA_PATH}`;
    return this;
  }

  /** An upstream configuration that points at this fake with its credentials. */
  upstreamConfig<T extends Partial<FakeUpstreamConfig>>(overrides: T = {} as T): FakeUpstreamConfig & T {
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

  /** Tasks appear in list answers only `ms` after their creation, as Kling's list can lag its create. */
  setListVisibilityDelay(ms: number): void {
    this.tasks.listVisibilityDelayMs = ms;
    this.advanced.tasks.listVisibilityDelayMs = ms;
  }

  /** Back to a fresh fake on the same port: no requests, faults, tasks, latency or list delay. */
  reset(): void {
    this.requests.length = 0;
    this.counts.clear();
    this.faults = [];
    this.tasks.clear();
    this.advanced.clear();
    this.latencyMs = this.options.latencyMs ?? 0;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    // Also ends the sockets of hanging answers, which server.close() alone would wait for forever.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { mediaFile } = this.options;
    if (mediaFile && req.url?.startsWith(`${this.prefix}${MEDIA_PATH}/`)) {
      return void send(req, path.basename(mediaFile), { root: path.dirname(mediaFile) }).pipe(res);
    }
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
      if (fault && 'code' in fault)
        throw new FakeRejection(fault.code, fault.message ?? KLING_CODES[fault.code]?.[1] ?? `Error ${fault.code}`);
      this.authenticate(req.headers.authorization);
      if (!route) throw new FakeRejection(1202, `Invalid request method: ${req.method} ${url.pathname}`);
      const data = this.answer(route, body, url);
      if (fault && 'acceptThenHang' in fault) return;
      if (fault && 'malformedJson' in fault)
        return sendText(res, 200, JSON.stringify({ code: 0, request_id: requestId, data }).slice(0, 40));
      const envelope: Record<string, unknown> = {
        code: 0,
        message: 'SUCCEED',
        request_id: requestId,
        data: spoil(data, fault),
      };
      if (fault && 'dataMissing' in fault) delete envelope.data;
      sendText(res, 200, JSON.stringify(envelope));
    } catch (error) {
      if (!(error instanceof FakeRejection)) throw error;
      const httpStatus = (fault && 'httpStatus' in fault && fault.httpStatus) || (KLING_CODES[error.code]?.[0] ?? 500);
      sendText(res, httpStatus, JSON.stringify({ code: error.code, message: error.message, request_id: requestId }));
    }
  }

  private answer(route: Route, body: unknown, url: URL): FakeTaskData | FakeTaskData[] {
    if (route.endpoint === 'advanced_create') {
      const task = this.advanced.answer(route, body, { pageNum: 1, pageSize: 1 }) as FakeTaskData;
      const callbackUrl = (body as { callback_url?: unknown }).callback_url;
      if (this.options.sendCallbacks && typeof callbackUrl === 'string')
        this.scheduleCallbacks(callbackUrl, task.task_id, this.advanced.tasks);
      return task;
    }
    if (route.endpoint === 'identify_face' || route.endpoint === 'advanced_get' || route.endpoint === 'advanced_list') {
      const page = { pageNum: pageParam(url, 'pageNum', 1), pageSize: pageParam(url, 'pageSize', 30) };
      return this.advanced.answer(route, body, page) as FakeTaskData | FakeTaskData[];
    }
    switch (route.endpoint) {
      case 'create': {
        const task = this.tasks.create(body);
        const callbackUrl = (body as { callback_url?: unknown }).callback_url;
        if (this.options.sendCallbacks && typeof callbackUrl === 'string')
          this.scheduleCallbacks(callbackUrl, task.task_id);
        return task;
      }
      case 'get':
        return this.tasks.get(route.taskId);
      case 'list':
        return this.tasks.list(pageParam(url, 'pageNum', 1), pageParam(url, 'pageSize', 30));
    }
  }

  private route(method: string, pathname: string): Route | null {
    if (!pathname.startsWith(this.prefix)) return null;
    const advanced = this.advanced.route(method, pathname.slice(this.prefix.length));
    if (advanced) return advanced;
    if (!pathname.startsWith(`${this.prefix}${LIP_SYNC_PATH}`)) return null;
    const rest = pathname.slice(this.prefix.length + LIP_SYNC_PATH.length);
    if (rest === '' || rest === '/') {
      if (method === 'POST') return { endpoint: 'create' };
      if (method === 'GET') return { endpoint: 'list' };
      return null;
    }
    if (method === 'GET' && /^\/[^/]+$/.test(rest))
      return { endpoint: 'get', taskId: decodeURIComponent(rest.slice(1)) };
    return null;
  }

  /** docs/kling.md, "Callbacks": the task as a get answers it, POSTed at each status change; failures ignored. */
  private scheduleCallbacks(callbackUrl: string, taskId: string, ledger: FakeTaskLedger = this.tasks): void {
    const send = () => {
      const body = JSON.stringify(ledger.get(taskId));
      fetch(callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
        (res) => res.body?.cancel(),
        () => undefined,
      );
    };
    const succeedAfterMs = ledger.succeedAfterMsOf(taskId) ?? 0;
    for (const at of [this.options.processingAfterMs ?? 200, succeedAfterMs]) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        send();
      }, at);
      timer.unref();
      this.timers.add(timer);
    }
  }

  private takeFault(endpoint: FakeEndpoint | null): FakeFault | undefined {
    const armed = this.faults.find((f) => f.endpoint === undefined || f.endpoint === endpoint);
    if (!armed) return undefined;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.faults.splice(this.faults.indexOf(armed), 1);
    return armed.fault;
  }

  /** docs/kling.md, "Hosts and authentication": 1001 no header, 1002 not a Bearer or a bad JWT, 1000 wrong key, 1003/1004 nbf/exp. */
  private authenticate(header: string | undefined): void {
    if (!header) throw new FakeRejection(1001, KLING_CODES[1001][1]);
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    if (!token) throw new FakeRejection(1002, KLING_CODES[1002][1]);
    if (this.auth.kind === 'apiKey') {
      if (token !== this.auth.apiKey) throw new FakeRejection(1000, KLING_CODES[1000][1]);
      return;
    }
    try {
      jwt.verify(token, this.auth.secretKey, { algorithms: ['HS256'], issuer: this.auth.accessKey });
    } catch (error) {
      const code = error instanceof jwt.TokenExpiredError ? 1004 : error instanceof jwt.NotBeforeError ? 1003 : 1002;
      throw new FakeRejection(code, KLING_CODES[code][1]);
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

/** The answer's data as a task-status or task-id fault bends it (a list: its first task). */
function spoil(data: FakeTaskData | FakeTaskData[], fault: FakeFault | undefined): FakeTaskData | FakeTaskData[] {
  if (!fault) return data;
  if ('unknownStatus' in fault) {
    const status = fault.unknownStatus === true ? UNKNOWN_STATUS : fault.unknownStatus;
    if (!Array.isArray(data)) return { ...data, task_status: status };
    return data.map((task, i) => (i === 0 ? { ...task, task_status: status } : task));
  }
  if ('mismatchedTaskId' in fault) {
    if (Array.isArray(data))
      return data.map((task, i) => (i === 0 ? { ...task, task_id: data[1]?.task_id ?? newKlingId() } : task));
    const external = data.task_info.external_task_id;
    return {
      ...data,
      task_id: newKlingId(),
      task_info: { ...data.task_info, ...(external !== undefined && { external_task_id: `other-${external}` }) },
    };
  }
  return data;
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

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
