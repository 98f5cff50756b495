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

/**
 * An HTTP status; 'hang': never answer (the sender's timeout must end the attempt); 'endless': 200 with a body that
 * never ends (only a sender that stops reading finishes); 'redirect': 307 to /hooks on the same receiver.
 */
export type ReceiverAnswer = number | 'hang' | 'endless' | 'redirect';

/**
 * A webhook receiver on 127.0.0.1 that records every request and answers as the test says: `answer` is asked with
 * the request and how many times this `webhook-id` was received before (0 for the first).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  answer: (request: ReceivedWebhook, earlier: number) => ReceiverAnswer = () => 200;

  private constructor(private readonly server: http.Server) {}

  /** On 127.0.0.1 unless told otherwise (0.0.0.0: reachable by this machine's own name too). */
  static async start(port = 0, host = '127.0.0.1'): Promise<WebhookReceiver> {
    const server = http.createServer();
    const receiver = new WebhookReceiver(server);
    server.on('request', (req, res) => receiver.handle(req, res));
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
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
      if (answer === 'redirect') {
        res.writeHead(307, { location: '/hooks' }).end();
        return;
      }
      if (answer === 'endless') {
        request.answeredOk = true;
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(16 * 1024, 'x');
        const timer = setInterval(() => res.write(chunk), 5);
        res.on('close', () => clearInterval(timer));
        return;
      }
      request.answeredOk = answer >= 200 && answer < 300;
      res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
    });
  }
}
