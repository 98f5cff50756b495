import { performance } from 'node:perf_hooks';
import type { UpstreamConfig } from '../config';
import type { TaskKind } from '../domain/task';
import { ErrorCode, UpstreamError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics, UpstreamEndpoint } from '../metrics';
import type { KlingApi, UpstreamAnswer } from './KlingApi';
import { HttpTransport, TransportError } from './httpTransport';
import type {
  KlingAdvancedCreateBody,
  KlingCreateBody,
  KlingEnvelope,
  KlingFaceSessionData,
  KlingIdentifyFaceBody,
  KlingTaskData,
} from './kling.types';
import { isKnownTaskStatus, readKlingTask, readKlingTaskList } from './klingAnswers';
import { readKlingFaceSession } from './klingFaceSession';
import { KlingTokenSigner } from './KlingTokenSigner';
import type { RateLimiter } from './RateLimiter';
import { MAX_ATTEMPTS, backoffMs, shouldRetry } from './retryPolicy';
import type { UpstreamAttemptObserver } from './UpstreamAttemptObserver';
import { DEFAULT_BREAKER, UpstreamBreaker, UpstreamCircuitOpenError } from './UpstreamBreaker';
import { type TransportFailure, rejectedByKling, transportError, untrustedAnswer } from './upstreamErrors';

export interface KlingClientOptions {
  config: UpstreamConfig;
  metrics?: Metrics;
  log?: Logger;
  limiter?: RateLimiter;
  /** base of the retry backoff; Kling asks for ≥ 1 s between rate-limited tries */
  retryDelayMs?: number;
  /** epoch ms, for signing tokens */
  now?: () => number;
  /** told of every attempt (tracing) */
  observer?: UpstreamAttemptObserver;
}

interface UpstreamRequest<T> {
  endpoint: UpstreamEndpoint;
  method: 'GET' | 'POST';
  /** under the base URL, e.g. /v1/videos/lip-sync/123 */
  path: string;
  body?: string;
  /** checks the envelope's data and turns it into the answer; throws an UpstreamError when it cannot be trusted */
  read: (data: unknown, requestId: string | null) => UpstreamAnswer<T>;
}

const LIP_SYNC_PATH = '/v1/videos/lip-sync';
const IDENTIFY_FACE_PATH = '/v1/videos/identify-face';

/** Each kind of task lives in its own endpoint family (docs/kling.md, "Advanced lip-sync"): path and metric names. */
const FAMILIES: Readonly<
  Record<TaskKind, { path: string; create: UpstreamEndpoint; get: UpstreamEndpoint; list: UpstreamEndpoint }>
> = {
  STANDARD: { path: LIP_SYNC_PATH, create: 'create', get: 'get', list: 'list' },
  ADVANCED: {
    path: '/v1/videos/advanced-lip-sync',
    create: 'advanced_create',
    get: 'advanced_get',
    list: 'advanced_list',
  },
};
const EXPIRED_TOKEN = 1004;
const USER_AGENT = 'lipsync-graph';

/**
 * The Kling lip-sync API over HTTP: auth, one keep-alive agent, per-request timeout, envelope parsing,
 * and retries that never risk a second paid task. Every failure leaves as an UpstreamError.
 */
export class KlingClient implements KlingApi {
  readonly kind = 'http' as const;
  private readonly transport: HttpTransport;
  private readonly signer: KlingTokenSigner | null;
  private readonly retryDelayMs: number;
  private readonly breaker: UpstreamBreaker;

  constructor(private readonly options: KlingClientOptions) {
    const { baseUrl, auth, maxSockets } = options.config;
    if (!baseUrl || !auth) throw new Error('KlingClient needs a base URL and credentials (config.upstream)');
    this.transport = new HttpTransport({ baseUrl, maxSockets });
    this.signer = auth.kind === 'jwt' ? new KlingTokenSigner({ ...auth, now: options.now }) : null;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.breaker = new UpstreamBreaker({ ...DEFAULT_BREAKER, ...options.config.breaker }, options.log);
  }

  createLipSync(body: KlingCreateBody): Promise<UpstreamAnswer<KlingTaskData>> {
    return this.createTask('STANDARD', body);
  }

  createAdvancedLipSync(body: KlingAdvancedCreateBody): Promise<UpstreamAnswer<KlingTaskData>> {
    return this.createTask('ADVANCED', body);
  }

  identifyFace(body: KlingIdentifyFaceBody): Promise<UpstreamAnswer<KlingFaceSessionData>> {
    const read = (data: unknown, requestId: string | null) => {
      const reading = readKlingFaceSession(data);
      if ('problem' in reading) throw untrustedAnswer('identify_face', reading.problem, requestId);
      return { data: reading.session, requestId };
    };
    const request = { method: 'POST', path: IDENTIFY_FACE_PATH, body: JSON.stringify(body), read } as const;
    return this.call({ endpoint: 'identify_face', ...request });
  }

  getLipSync(taskId: string, kind: TaskKind = 'STANDARD'): Promise<UpstreamAnswer<KlingTaskData>> {
    const family = FAMILIES[kind];
    const read = (data: unknown, requestId: string | null) => {
      const task = this.readTask(data, family.get, requestId);
      // Never let an answer about one task be written onto another (possibly another tenant's).
      if (task.task_id !== taskId) throw untrustedAnswer(family.get, 'the answer names another task_id', requestId);
      return { data: task, requestId };
    };
    const path = `${family.path}/${encodeURIComponent(taskId)}`;
    return this.call({ endpoint: family.get, method: 'GET', path, read });
  }

  listLipSync(
    pageNum: number,
    pageSize: number,
    kind: TaskKind = 'STANDARD',
  ): Promise<UpstreamAnswer<KlingTaskData[]>> {
    const family = FAMILIES[kind];
    const read = (data: unknown, requestId: string | null) => {
      const page = readKlingTaskList(data);
      if (!page) throw untrustedAnswer(family.list, 'data is not a list of tasks', requestId);
      if (page.problems.length > 0) {
        this.options.log?.warn(
          { requestId, problems: page.problems.slice(0, 5) },
          'left untrustworthy tasks out of a Kling task list',
        );
      }
      for (const task of page.tasks) this.warnOnUnknownStatus(task, requestId);
      return { data: page.tasks, requestId, unreadable: page.problems.length };
    };
    return this.call({
      endpoint: family.list,
      method: 'GET',
      path: `${family.path}?pageNum=${pageNum}&pageSize=${pageSize}`,
      read,
    });
  }

  /** A create in either family: the same checks, the same never-twice retries. */
  private createTask(
    kind: TaskKind,
    body: KlingCreateBody | KlingAdvancedCreateBody,
  ): Promise<UpstreamAnswer<KlingTaskData>> {
    const family = FAMILIES[kind];
    const read = (data: unknown, requestId: string | null) => {
      const task = this.readTask(data, family.create, requestId);
      // An answer about another task than the one asked for: Kling may still have made ours, so the outcome is unknown.
      const echoed = task.task_info?.external_task_id;
      if (body.external_task_id !== undefined && echoed != null && echoed !== body.external_task_id) {
        throw untrustedAnswer(family.create, 'the answer names another external_task_id', requestId);
      }
      return { data: task, requestId };
    };
    return this.call({ endpoint: family.create, method: 'POST', path: family.path, body: JSON.stringify(body), read });
  }

  async close(): Promise<void> {
    this.transport.close();
  }

  private readTask(data: unknown, endpoint: UpstreamEndpoint, requestId: string | null): KlingTaskData {
    const reading = readKlingTask(data);
    if ('problem' in reading) throw untrustedAnswer(endpoint, reading.problem, requestId);
    this.warnOnUnknownStatus(reading.task, requestId);
    return reading.task;
  }

  /** An undocumented status is applied nowhere (see fromKlingTask); the log is where someone learns Kling added one. */
  private warnOnUnknownStatus(task: KlingTaskData, requestId: string | null): void {
    if (!isKnownTaskStatus(task.task_status)) {
      this.options.log?.warn(
        { taskId: task.task_id, taskStatus: task.task_status.slice(0, 40), requestId },
        'Kling sent an unknown task_status; the task keeps its last known state',
      );
    }
  }

  private async call<T>(request: UpstreamRequest<T>): Promise<UpstreamAnswer<T>> {
    let resigned = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.breaker.run(() => this.send<T>(request, attempt));
      } catch (error) {
        if (!(error instanceof UpstreamError) || error instanceof UpstreamCircuitOpenError || attempt >= MAX_ATTEMPTS)
          throw error;
        // Kling rejected the token before doing anything, so even a create may go again with a fresh one.
        if (this.signer && error.upstream.code === EXPIRED_TOKEN && !resigned) {
          resigned = true;
          this.signer.refresh();
          continue;
        }
        if (!shouldRetry(request.endpoint, error)) throw error;
        const delayMs = backoffMs(attempt, this.retryDelayMs, error);
        // Not awaited: this try waits out its own backoff below; a shared limiter's pause never rejects.
        if (error.code === ErrorCode.RATE_LIMITED) void this.options.limiter?.slowDown?.(delayMs);
        this.options.log?.warn(
          {
            endpoint: request.endpoint,
            attempt,
            delayMs,
            code: error.upstream.code,
            requestId: error.upstream.requestId,
          },
          'retrying Kling request',
        );
        await sleep(delayMs);
      }
    }
  }

  /** One HTTP attempt: exactly one metric sample and one debug line, whatever happens. */
  private async send<T>(request: UpstreamRequest<T>, attempt: number): Promise<UpstreamAnswer<T>> {
    await this.options.limiter?.acquire();
    const { timeoutMs } = this.options.config;
    const started = performance.now();
    let outcome = 'reset';
    let requestId: string | null = null;
    let httpStatus: number | null = null;
    try {
      let text: string;
      try {
        ({ status: httpStatus, text } = await this.transport.send({
          method: request.method,
          path: request.path,
          headers: this.headers(request),
          body: request.body,
          timeoutMs,
        }));
      } catch (error) {
        const failure = classifyTransportFailure(error, timeoutMs);
        outcome = failure.kind;
        throw transportError(failure);
      }
      const envelope = parseEnvelope<T>(text);
      if (!envelope) {
        outcome = 'non_json';
        const detail = looksLikeJson(text) ? 'a JSON body that is not a Kling answer' : 'a non-JSON body';
        throw transportError({ kind: 'non_json', httpStatus, detail });
      }
      outcome = String(envelope.code);
      requestId = typeof envelope.request_id === 'string' ? envelope.request_id : null;
      if (envelope.code !== 0) {
        throw rejectedByKling(
          { code: envelope.code, message: envelope.message, requestId, httpStatus },
          this.secrets(),
        );
      }
      outcome = 'untrusted';
      const answer = request.read(envelope.data, requestId);
      outcome = '0';
      return answer;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.options.metrics?.observeUpstream(request.endpoint, outcome, seconds);
      this.options.observer?.observe({
        endpoint: request.endpoint,
        method: request.method,
        attempt,
        startedAt: started,
        seconds,
        httpStatus,
        outcome,
        requestId,
      });
      this.options.log?.debug(
        { endpoint: request.endpoint, attempt, requestId, code: outcome, ms: Math.round(seconds * 1000) },
        'Kling request',
      );
    }
  }

  private headers(request: UpstreamRequest<unknown>): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Bearer ${this.credential()}`,
      'User-Agent': USER_AGENT,
    };
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    return headers;
  }

  private credential(): string {
    const auth = this.options.config.auth;
    return auth?.kind === 'apiKey' ? auth.apiKey : (this.signer as KlingTokenSigner).token();
  }

  /** Never echoed back to a caller, even if the upstream quotes them in a message. */
  private secrets(): string[] {
    const auth = this.options.config.auth;
    if (auth?.kind === 'apiKey') return [auth.apiKey];
    return auth ? [auth.secretKey, (this.signer as KlingTokenSigner).token()] : [];
  }
}

function classifyTransportFailure(error: unknown, timeoutMs: number): TransportFailure {
  if (!(error instanceof TransportError))
    return { kind: 'reset', cause: error instanceof Error ? error.message : 'connection error' };
  switch (error.kind) {
    case 'timeout':
      return { kind: 'timeout', timeoutMs };
    case 'refused':
      return { kind: 'refused', cause: error.reason };
    case 'reset':
      return { kind: 'reset', cause: error.reason };
    case 'unreadable':
      return { kind: 'non_json', httpStatus: error.httpStatus ?? 0, detail: error.reason };
  }
}

/** A Kling envelope, or null for anything else (HTML pages, truncated bodies, success without data). */
function parseEnvelope<T>(text: string): KlingEnvelope<T> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const envelope = parsed as KlingEnvelope<T>;
  if (typeof envelope.code !== 'number') return null;
  if (envelope.code === 0 && (envelope.data === undefined || envelope.data === null)) return null;
  return envelope;
}

function looksLikeJson(text: string): boolean {
  return /^\s*[[{]/.test(text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
