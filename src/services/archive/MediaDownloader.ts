import { createHash } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline, Transform, type Readable } from 'node:stream';
import { outboundUrlProblem, type OutboundUrlPolicy } from '../../domain/outboundUrl';
import { redactUrl } from '../../redactUrl';
import { guardedLookup } from '../../domain/guardedLookup';

/** A download that did not give a whole copy; `permanent` ones are not tried again. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface Downloaded {
  bytes: number;
  /** hex SHA-256 of the bytes */
  sha256: string;
}

export interface MediaDownloaderOptions {
  policy: OutboundUrlPolicy;
  maxBytes: number;
  timeoutMs: number;
  /**
   * URL prefixes fetched without the outbound rule: this server's own origin, where the simulated upstream's
   * videos live (the demo); never anything a client gives.
   */
  trustedPrefixes?: () => readonly string[];
}

const MAX_REDIRECTS = 3;

/**
 * Fetches a result video for the archive, streaming it to a sink: https only (http with ALLOW_HTTP_MEDIA_URLS),
 * public hosts only (checked on the URL and again on the address connected to), a deadline for the whole
 * download, and a size cap enforced while the bytes flow, so no video is ever held in memory whole.
 */
export class MediaDownloader {
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly options: MediaDownloaderOptions) {
    const lookup = options.policy.allowPrivate ? undefined : guardedLookup();
    this.agents = { http: new http.Agent({ lookup }), https: new https.Agent({ lookup }) };
  }

  /** Streams `url` into `sink`, which must consume the stream it is given; resolves once the sink is done. */
  async download(url: string, sink: (body: Readable) => Promise<void>, stop: AbortSignal): Promise<Downloaded> {
    const signal = AbortSignal.any([stop, AbortSignal.timeout(this.options.timeoutMs)]);
    const response = await this.open(url, signal, 0);
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.options.maxBytes) {
      response.destroy();
      throw new DownloadError(`the video is ${declared} bytes, above ARCHIVE_MAX_BYTES`, true);
    }
    const meter = new Meter(this.options.maxBytes);
    pipeline(response, meter, () => undefined); // an error in either destroys both, and so fails the sink
    try {
      await sink(meter);
    } catch (error) {
      throw meter.overflow ?? (signal.aborted ? abortReason(signal, stop, this.options.timeoutMs) : error);
    }
    return { bytes: meter.bytes, sha256: meter.digest() };
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private open(url: string, signal: AbortSignal, redirects: number): Promise<IncomingMessage> {
    const trusted = this.options.trustedPrefixes?.().some((prefix) => url.startsWith(prefix)) ?? false;
    const problem = trusted ? null : outboundUrlProblem(url, this.options.policy);
    if (problem) return Promise.reject(new DownloadError(`the result URL ${problem}`, true));
    const isHttps = url.startsWith('https:');
    const get = isHttps ? https.get : http.get;
    return new Promise((resolve, reject) => {
      const request = get(
        url,
        { agent: isHttps ? this.agents.https : this.agents.http, signal, headers: { accept: 'video/mp4, */*' } },
        (response) => {
          const status = response.statusCode ?? 0;
          const location = response.headers.location;
          if (status >= 300 && status < 400 && location) {
            response.resume();
            if (redirects >= MAX_REDIRECTS) return reject(new DownloadError('too many redirects', false));
            // every hop meets the same rule as the first
            return resolve(this.open(new URL(location, url).href, signal, redirects + 1));
          }
          if (status !== 200) {
            response.resume();
            return reject(new DownloadError(`GET ${redactUrl(url)} answered HTTP ${status}`, false));
          }
          resolve(response);
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRREFUSED') return reject(new DownloadError(`the result URL ${error.message}`, true));
        reject(
          signal.aborted
            ? abortReason(signal, null, this.options.timeoutMs)
            : new DownloadError(`GET failed: ${error.code ?? error.message}`, false),
        );
      });
    });
  }
}

function abortReason(signal: AbortSignal, stop: AbortSignal | null, timeoutMs: number): Error {
  if (stop?.aborted || (signal.reason as Error | undefined)?.name !== 'TimeoutError') {
    return new DownloadError('stopped (shutting down)', false);
  }
  return new DownloadError(`no whole download within ${timeoutMs} ms`, false);
}

/** Counts and hashes the bytes as they pass, and stops the stream past the cap. */
class Meter extends Transform {
  bytes = 0;
  overflow: DownloadError | null = null;
  private readonly hash = createHash('sha256');

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void) {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.overflow = new DownloadError(`the video is larger than ARCHIVE_MAX_BYTES (${this.maxBytes})`, true);
      return done(this.overflow);
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
