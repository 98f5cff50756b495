import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** The real mp4 the demo plays: what the fake CDN serves for every result video. */
export const SAMPLE_MP4 = path.resolve(__dirname, '../../examples/web/media/sample.mp4');

export interface FakeMediaOptions {
  /** serve this file (default: the sample mp4) */
  file?: string;
  /** send the body in chunks of this size, one every `chunkDelayMs` (a slow CDN, to be caught mid-download) */
  chunkBytes?: number;
  chunkDelayMs?: number;
  /** no Content-Length: the size shows only as the bytes arrive */
  chunked?: boolean;
}

/**
 * Kling's result CDN, on 127.0.0.1: every GET …/<id>.mp4 answers the real mp4 bytes, until a test deletes that
 * video (404, as the CDN answers once Kling dropped it). Point a fake Kling's `tasks.mediaBaseUrl` at `url`.
 */
export class FakeMedia {
  /** paths requested, in order */
  readonly requests: string[] = [];
  /** body bytes written so far, over every request */
  sent = 0;
  readonly bytes: Buffer;
  private readonly deleted = new Set<string>();
  private readonly server: http.Server;
  private baseUrl = '';
  private slow: { chunkBytes: number; chunkDelayMs: number } | null;
  private readonly chunked: boolean;

  constructor(options: FakeMediaOptions = {}) {
    this.bytes = fs.readFileSync(options.file ?? SAMPLE_MP4);
    this.slow =
      options.chunkBytes && options.chunkDelayMs
        ? { chunkBytes: options.chunkBytes, chunkDelayMs: options.chunkDelayMs }
        : null;
    this.chunked = options.chunked ?? false;
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  get url(): string {
    return this.baseUrl;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** every later GET of this video id answers 404 */
  delete(videoId: string): void {
    this.deleted.add(videoId);
  }

  /** every video answers 404 from now on */
  deleteAll(): void {
    this.deleted.add('*');
  }

  /** serve at full speed from now on */
  fast(): void {
    this.slow = null;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const urlPath = req.url ?? '/';
    this.requests.push(urlPath);
    const id = /\/([^/]+)\.mp4$/.exec(urlPath)?.[1];
    if (!id || this.deleted.has(id) || this.deleted.has('*')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('not found');
    }
    res.writeHead(200, {
      'content-type': 'video/mp4',
      ...(this.chunked ? {} : { 'content-length': this.bytes.length }),
    });
    if (!this.slow) return void res.end(this.bytes);
    const { chunkBytes, chunkDelayMs } = this.slow;
    let offset = 0;
    const next = () => {
      if (res.destroyed) return;
      const chunk = this.bytes.subarray(offset, offset + chunkBytes);
      res.write(chunk);
      this.sent += chunk.length;
      offset += chunkBytes;
      if (offset >= this.bytes.length) res.end();
      else setTimeout(next, chunkDelayMs);
    };
    next();
  }
}

export function startFakeMedia(options: FakeMediaOptions = {}): Promise<FakeMedia> {
  return new FakeMedia(options).listen();
}
