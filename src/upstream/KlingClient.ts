import { performance } from 'node:perf_hooks';
import type { UpstreamConfig } from '../config';
import { ErrorCode, UpstreamError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics, UpstreamEndpoint } from '../metrics';
import type { KlingApi, UpstreamAnswer } from './KlingApi';
import { HttpTransport, TransportError } from './httpTransport';
import type { KlingCreateBody, KlingEnvelope, KlingTaskData } from './kling.types';
import { KlingTokenSigner } from './KlingTokenSigner';
import type { RateLimiter } from './RateLimiter';
import { MAX_ATTEMPTS, backoffMs, shouldRetry } from './retryPolicy';
import type { UpstreamAttemptObserver } from './UpstreamAttemptObserver';
import { type TransportFailure, rejectedByKling, transportError } from './upstreamErrors';

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

interface UpstreamRequest {
  endpoint: UpstreamEndpoint;
  method: 'GET' | 'POST';
  /** under the base URL, e.g. /v1/videos/lip-sync/123 */
  path: string;
  body?: string;
}

const LIP_SYNC_PATH = '/v1/videos/lip-sync';
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

  constructor(private readonly options: KlingClientOptions) {
    const { baseUrl, auth, maxSockets } = options.config;
    if (!baseUrl || !auth) throw new Error('KlingClient needs a base URL and credentials (config.upstream)');
    this.transport = new HttpTransport({ baseUrl, maxSockets });
    this.signer = auth.kind === 'jwt' ? new KlingTokenSigner({ ...auth, now: options.now }) : null;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
  }

  createLipSync(body: KlingCreateBody): Promise<UpstreamAnswer<KlingTaskData>> {
    return this.call({ endpoint: 'create', method: 'POST', path: LIP_SYNC_PATH, body: JSON.stringify(body) });
  }

  getLipSync(taskId: string): Promise<UpstreamAnswer<KlingTaskData>> {
    return this.call({ endpoint: 'get', method: 'GET', path: `${LIP_SYNC_PATH}/${encodeURIComponent(taskId)}` });
  }

  listLipSync(pageNum: number, pageSize: number): Promise<UpstreamAnswer<KlingTaskData[]>> {
    return this.call({ endpoint: 'list', method: 'GET', path: `${LIP_SYNC_PATH}?pageNum=${pageNum}&pageSize=${pageSize}` });
  }

  async close(): Promise<void> {
    this.transport.close();
  }

  private async call<T>(request: UpstreamRequest): Promise<UpstreamAnswer<T>> {
    let resigned = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send<T>(request, attempt);
      } catch (error) {
        if (!(error instanceof UpstreamError) || attempt >= MAX_ATTEMPTS) throw error;
        // Kling rejected the token before doing anything, so even a create may go again with a fresh one.
        if (this.signer && error.upstream.code === EXPIRED_TOKEN && !resigned) {
          resigned = true;
          this.signer.refresh();
          continue;
        }
        if (!shouldRetry(request.endpoint, error)) throw error;
        const delayMs = backoffMs(attempt, this.retryDelayMs, error);
        if (error.code === ErrorCode.RATE_LIMITED) this.options.limiter?.slowDown?.(delayMs);
        this.options.log?.warn(
          { endpoint: request.endpoint, attempt, delayMs, code: error.upstream.code, requestId: error.upstream.requestId },
          'retrying Kling request',
        );
        await sleep(delayMs);
      }
    }
  }

  /** One HTTP attempt: exactly one metric sample and one debug line, whatever happens. */
  private async send<T>(request: UpstreamRequest, attempt: number): Promise<UpstreamAnswer<T>> {
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
        throw rejectedByKling({ code: envelope.code, message: envelope.message, requestId, httpStatus }, this.secrets());
      }
      return { data: envelope.data as T, requestId };
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.options.metrics?.observeUpstream(request.endpoint, outcome, seconds);
      this.options.observer?.observe({ endpoint: request.endpoint, method: request.method, attempt, startedAt: started, seconds, httpStatus, outcome, requestId });
      this.options.log?.debug(
        { endpoint: request.endpoint, attempt, requestId, code: outcome, ms: Math.round(seconds * 1000) },
        'Kling request',
      );
    }
  }

  private headers(request: UpstreamRequest): Record<string, string> {
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
  if (!(error instanceof TransportError)) return { kind: 'reset', cause: error instanceof Error ? error.message : 'connection error' };
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
