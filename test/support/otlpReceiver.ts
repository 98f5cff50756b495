import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJson, decodeProtobuf, type ReceivedSpan } from './otlpDecode';

export type { ReceivedSpan } from './otlpDecode';

export interface OtlpReceiverOptions {
  /** false only counts requests and bytes (benchmarks): nothing is decoded or kept */
  keepSpans?: boolean;
}

/**
 * An OTLP/HTTP trace receiver on 127.0.0.1, like a collector's: POST /v1/traces in http/json
 * (application/json) or http/protobuf (application/x-protobuf), answered 200 with an empty
 * ExportTraceServiceResponse. Spans are decoded from both encodings (test/support/otlpDecode.ts).
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** content types of the export requests received, in order */
  readonly contentTypes: string[] = [];
  requestCount = 0;
  byteCount = 0;
  private readonly server: http.Server;

  private constructor(private readonly options: OtlpReceiverOptions) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  static async start(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver(options);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** what OTEL_EXPORTER_OTLP_ENDPOINT should be (the exporter appends /v1/traces) */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Polls until the spans received satisfy `done`, or fails after `timeoutMs` naming what arrived. */
  async waitFor(done: (spans: ReceivedSpan[]) => boolean, timeoutMs = 15_000): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.spans)) {
      if (Date.now() > deadline) {
        throw new Error(
          `OTLP receiver: condition not met within ${timeoutMs} ms; spans: ${this.spans.map((s) => s.name).join(', ') || 'none'}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.spans;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
      if (req.method !== 'POST' || req.url !== '/v1/traces') return answer(res, 404, 'text/plain', 'not found');
      const body = Buffer.concat(chunks);
      this.requestCount += 1;
      this.byteCount += body.length;
      if (this.options.keepSpans === false)
        return answer(res, 200, contentType, contentType === 'application/json' ? '{}' : Buffer.alloc(0));
      let spans: ReceivedSpan[];
      try {
        if (contentType === 'application/json') spans = decodeJson(body.toString('utf8'));
        else if (contentType === 'application/x-protobuf') spans = decodeProtobuf(body);
        else return answer(res, 415, 'text/plain', `unsupported content type ${contentType}`);
      } catch (error) {
        return answer(res, 400, 'text/plain', String(error));
      }
      this.contentTypes.push(contentType);
      this.spans.push(...spans);
      if (contentType === 'application/json') answer(res, 200, 'application/json', '{}');
      else answer(res, 200, 'application/x-protobuf', Buffer.alloc(0));
    });
  }
}

function answer(res: http.ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}
