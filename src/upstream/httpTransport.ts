import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import zlib from 'node:zlib';

/** Bodies above this are not read to the end: no upstream answer of ours is anywhere near it. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface TransportOptions {
  /** origin plus an optional path prefix, e.g. https://api.example.com/kling */
  baseUrl: string;
  /** open sockets to the upstream at most (one keep-alive agent) */
  maxSockets: number;
  maxBodyBytes?: number;
}

export interface TransportRequest {
  method: 'GET' | 'POST';
  /** appended to the base URL's path, e.g. /v1/videos/lip-sync?pageNum=1 */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** the whole exchange, connecting included, from the call to the last byte of the body */
  timeoutMs: number;
}

export interface TransportResponse {
  status: number;
  text: string;
}

/**
 * How an exchange failed without a whole answer:
 * - timeout: not answered in full within timeoutMs (the request may have been received and acted on);
 * - reset: the connection broke after it was made (the request may have been received and acted on);
 * - refused: no connection was ever made (the upstream cannot have seen the request);
 * - unreadable: an answer whose body is over the size limit or cannot be decoded, with its HTTP status.
 */
export type TransportFailureKind = 'timeout' | 'reset' | 'refused' | 'unreadable';

export class TransportError extends Error {
  constructor(
    readonly kind: TransportFailureKind,
    /** an error code (ECONNRESET…) or a short description */
    readonly reason: string,
    /** the HTTP status of an unreadable answer, otherwise null */
    readonly httpStatus: number | null = null,
  ) {
    super(`${kind}: ${reason}`);
    this.name = 'TransportError';
  }
}

/** connection errors that mean the request never left this machine */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** what a keep-alive socket closed by the server just as we reused it looks like */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);

/**
 * HTTP/1.1 requests over one keep-alive agent with node:http/https directly: one timer per request that bounds
 * the whole exchange, the body read as Buffer chunks into one string with a size cap, and failures sorted by
 * whether the request can have reached the upstream. No redirects are followed (an answer is an answer).
 *
 * Idempotent requests (GET) that fail on a reused keep-alive socket before any byte of an answer are sent once
 * more on a fresh socket within the same deadline: the server most likely closed the idle socket as we wrote.
 * A POST that fails that way is reported as a reset: its bytes may have reached the server, we cannot tell.
 */
export class HttpTransport {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly base: http.RequestOptions;
  private readonly prefix: string;
  private readonly maxBodyBytes: number;

  constructor(options: TransportOptions) {
    const url = new URL(options.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`unsupported upstream protocol ${url.protocol}`);
    const secure = url.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.request = secure ? https.request : http.request;
    const { protocol, hostname, port, auth } = urlToHttpOptions(url);
    this.base = { protocol, hostname, port, agent: this.agent, ...(auth !== undefined && { auth }) };
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  }

  send(request: TransportRequest): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let current: http.ClientRequest;
      let staleRetries = request.method === 'GET' ? 1 : 0;
      const timer = setTimeout(
        () => fail(new TransportError('timeout', `no complete answer within ${request.timeoutMs} ms`)),
        request.timeoutMs,
      );

      const headers = { ...request.headers };
      if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
      const options: http.RequestOptions = {
        ...this.base,
        method: request.method,
        path: this.prefix + request.path,
        headers,
      };

      const fail = (error: TransportError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // Nothing more to read or write on this socket: it must not go back to the agent's pool.
        current.destroy();
        reject(error);
      };

      const start = () => {
        let answered = false;
        const req = this.request(options, (res) => {
          answered = true;
          this.read(
            req,
            res,
            (status, text) => {
              if (settled) return;
              settled = true;
              clearTimeout(timer);
              resolve({ status, text });
            },
            fail,
          );
        });
        current = req;
        req.on('error', (error: NodeJS.ErrnoException) => {
          if (settled) return;
          const code = error.code ?? '';
          if (!answered && req.reusedSocket && staleRetries > 0 && STALE_SOCKET.has(code)) {
            staleRetries -= 1;
            return start();
          }
          fail(
            new TransportError(
              NEVER_CONNECTED.has(code) ? 'refused' : 'reset',
              code || error.message || 'connection error',
            ),
          );
        });
        req.end(request.body);
      };
      start();
    });
  }

  /** Closes every socket, idle or not. */
  close(): void {
    this.agent.destroy();
  }

  private read(
    req: http.ClientRequest,
    res: http.IncomingMessage,
    done: (status: number, text: string) => void,
    fail: (error: TransportError) => void,
  ): void {
    const status = res.statusCode ?? 0;
    const declared = Number(res.headers['content-length']);
    if (declared > this.maxBodyBytes)
      return fail(new TransportError('unreadable', `a body of ${declared} bytes`, status));
    const chunks: Buffer[] = [];
    let bytes = 0;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > this.maxBodyBytes)
        return fail(new TransportError('unreadable', `a body over ${this.maxBodyBytes} bytes`, status));
      chunks.push(chunk);
    });
    res.on('end', () => {
      if (!res.complete) return fail(new TransportError('reset', 'ECONNRESET'));
      const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, bytes);
      const encoding = res.headers['content-encoding'];
      if (encoding === undefined || encoding === 'identity') return done(status, raw.toString('utf8'));
      // We never ask for compression, but a gateway may compress anyway.
      const decoded = this.decode(raw, encoding);
      if (decoded === null)
        return fail(
          new TransportError('unreadable', `a ${encoding} body that does not decode within the limit`, status),
        );
      done(status, decoded);
    });
    // The socket broke mid-body: 'error' (ECONNRESET 'aborted'), then 'close' without 'end'.
    res.on('error', (error: NodeJS.ErrnoException) => fail(new TransportError('reset', error.code ?? 'ECONNRESET')));
    res.on('close', () => {
      if (!res.complete) fail(new TransportError('reset', 'ECONNRESET'));
    });
    req.on('close', () => {
      if (!res.complete) fail(new TransportError('reset', 'ECONNRESET'));
    });
  }

  private decode(raw: Buffer, encoding: string): string | null {
    const limit = { maxOutputLength: this.maxBodyBytes };
    try {
      switch (encoding.trim().toLowerCase()) {
        case 'gzip':
        case 'x-gzip':
          return zlib.gunzipSync(raw, limit).toString('utf8');
        case 'deflate':
          // zlib-wrapped as the RFC says, or raw deflate as some servers send it (0x78: a zlib header)
          return (raw[0] === 0x78 ? zlib.inflateSync(raw, limit) : zlib.inflateRawSync(raw, limit)).toString('utf8');
        case 'br':
          return zlib.brotliDecompressSync(raw, limit).toString('utf8');
        default:
          return null;
      }
    } catch {
      return null;
    }
  }
}
