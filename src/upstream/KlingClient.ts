import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import fetch, { type RequestInit } from 'node-fetch';
import type { UpstreamConfig } from '../config';
import { ErrorCode, UpstreamError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics, UpstreamEndpoint } from '../metrics';
import type { KlingApi, UpstreamAnswer } from './KlingApi';
import type { KlingCreateBody, KlingEnvelope, KlingTaskData } from './kling.types';
import { KlingTokenSigner } from './KlingTokenSigner';
import type { RateLimiter } from './RateLimiter';
import { MAX_ATTEMPTS, backoffMs, shouldRetry } from './retryPolicy';
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
}

interface UpstreamRequest {
  endpoint: UpstreamEndpoint;
  method: 'GET' | 'POST';
  url: string;
  body?: string;
}

const LIP_SYNC_PATH = '/v1/videos/lip-sync';
const EXPIRED_TOKEN = 1004;
/** connection errors that mean the request never left this machine */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The Kling lip-sync API over HTTP: auth, one keep-alive agent, per-request timeout, envelope parsing,
 * and retries that never risk a second paid task. Every failure leaves as an UpstreamError.
 */
export class KlingClient implements KlingApi {
  readonly kind = 'http' as const;
  private readonly baseUrl: string;
  private readonly agent: http.Agent;
  private readonly signer: KlingTokenSigner | null;
  private readonly retryDelayMs: number;

  constructor(private readonly options: KlingClientOptions) {
    const { baseUrl, auth, maxSockets } = options.config;
    if (!baseUrl || !auth) throw new Error('KlingClient needs a base URL and credentials (config.upstream)');
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    const agentOptions = { keepAlive: true, maxSockets };
    this.agent = new URL(this.baseUrl).protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.signer = auth.kind === 'jwt' ? new KlingTokenSigner({ ...auth, now: options.now }) : null;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
  }

  createLipSync(body: KlingCreateBody): Promise<UpstreamAnswer<KlingTaskData>> {
    const url = `${this.baseUrl}${LIP_SYNC_PATH}`;
    return this.call({ endpoint: 'create', method: 'POST', url, body: JSON.stringify(body) });
  }

  getLipSync(taskId: string): Promise<UpstreamAnswer<KlingTaskData>> {
    const url = `${this.baseUrl}${LIP_SYNC_PATH}/${encodeURIComponent(taskId)}`;
    return this.call({ endpoint: 'get', method: 'GET', url });
  }

  listLipSync(pageNum: number, pageSize: number): Promise<UpstreamAnswer<KlingTaskData[]>> {
    const url = `${this.baseUrl}${LIP_SYNC_PATH}?pageNum=${pageNum}&pageSize=${pageSize}`;
    return this.call({ endpoint: 'list', method: 'GET', url });
  }

  async close(): Promise<void> {
    this.agent.destroy();
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
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const started = performance.now();
    let outcome = 'reset';
    let requestId: string | null = null;
    try {
      let httpStatus: number;
      let text: string;
      try {
        const response = await fetch(request.url, {
          method: request.method,
          headers: this.headers(request),
          body: request.body,
          agent: this.agent,
          // node-fetch declares its own AbortSignal type; the global one is what it expects at run time.
          signal: controller.signal as RequestInit['signal'],
        });
        httpStatus = response.status;
        text = await response.text();
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
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      this.options.metrics?.observeUpstream(request.endpoint, outcome, seconds);
      this.options.log?.debug(
        { endpoint: request.endpoint, attempt, requestId, code: outcome, ms: Math.round(seconds * 1000) },
        'Kling request',
      );
    }
  }

  private headers(request: UpstreamRequest): Record<string, string> {
    const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${this.credential()}` };
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
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  if (name === 'AbortError') return { kind: 'timeout', timeoutMs };
  const cause = code ?? 'connection error';
  return NEVER_CONNECTED.has(cause) ? { kind: 'refused', cause } : { kind: 'reset', cause };
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
