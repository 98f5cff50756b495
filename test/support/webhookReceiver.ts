import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST as the receiver got it. */
export interface ReceivedWebhook {
  path: string;
  /** the Standard Webhooks headers, and the rest */
  headers: Record<string, string>;
  id: string;
  body: string;
  /** the receiver answered it with a 2xx */
  answeredOk: boolean;
  /** parsed body */
  event: { type: string; timestamp: string; data: { id: string; status: string } & Record<string, unknown> };
}

/** An HTTP status, or 'hang': never answer (the sender's timeout must end the attempt). */
export type ReceiverAnswer = number | 'hang';

/**
 * A webhook receiver on 127.0.0.1 that records every request and answers as the test says: `answer` is asked with
 * the request and how many times this `webhook-id` was received before (0 for the first).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  answer: (request: ReceivedWebhook, earlier: number) => ReceiverAnswer = () => 200;

  private constructor(private readonly server: http.Server) {}

  static async start(port = 0): Promise<WebhookReceiver> {
    const server = http.createServer();
    const receiver = new WebhookReceiver(server);
    server.on('request', (req, res) => receiver.handle(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return receiver;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  url(path = '/hooks'): string {
    return `${this.origin}${path}`;
  }

  /** every request for one task, in arrival order */
  forTask(taskId: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.event.data.id === taskId);
  }

  /** how often each webhook-id arrived */
  countsById(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.received) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    return counts;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const request: ReceivedWebhook = {
        path: req.url ?? '/',
        headers,
        id: headers['webhook-id'] ?? '',
        body,
        answeredOk: false,
        event: JSON.parse(body) as ReceivedWebhook['event'],
      };
      const earlier = this.received.filter((r) => r.id === request.id).length;
      this.received.push(request);
      const answer = this.answer(request, earlier);
      if (answer === 'hang') return;
      request.answeredOk = answer >= 200 && answer < 300;
      res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
    });
  }
}
