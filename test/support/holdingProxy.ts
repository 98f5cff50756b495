import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HoldingProxy {
  /** base URL to give the server instead of the target's (same path prefix) */
  readonly url: string;
  /** from now on, the answers to requests `matching` are kept back (the target has done the work) until release() */
  hold(matching: (method: string, path: string) => boolean): void;
  /** how many answers are being kept back right now */
  held(): number;
  /** sends every kept-back answer and stops holding */
  release(): void;
  close(): Promise<void>;
}

/**
 * An HTTP hop in front of the fake upstream that keeps chosen answers back until the test lets them go: a request
 * stays in flight exactly as long as the test needs, where a fixed delay can be outrun by a loaded machine.
 */
export async function startHoldingProxy(targetUrl: string): Promise<HoldingProxy> {
  const target = new URL(targetUrl);
  let matches: ((method: string, path: string) => boolean) | null = null;
  const kept: Array<() => void> = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const holdThis = matches?.(req.method ?? 'GET', req.url ?? '/') ?? false;
      const forward = http.request(
        new URL(req.url ?? '/', target.origin),
        { method: req.method, headers: req.headers },
        (answer: IncomingMessage) => {
          const body: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => body.push(chunk));
          answer.on('end', () => {
            const send = () => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(Buffer.concat(body));
            };
            if (holdThis) kept.push(send);
            else send();
          });
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${target.pathname.replace(/\/+$/, '')}`,
    hold(matching) {
      matches = matching;
    },
    held: () => kept.length,
    release() {
      matches = null;
      for (const send of kept.splice(0)) send();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
