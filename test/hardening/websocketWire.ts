import WebSocket from 'ws';

/**
 * The graphql-transport-ws protocol spoken by hand, for what graphql-ws's client will not do on purpose:
 * oversized or malformed messages, thousands of operations on one socket, close codes read directly.
 */
export class WireSocket {
  readonly closed: Promise<{ code: number; reason: string }>;
  /** every message the server sent, parsed */
  readonly received: Array<{ type: string; id?: string; payload?: unknown }> = [];
  private readonly waiters: Array<() => void> = [];

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.received.push(JSON.parse(String(data)));
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => undefined); // a refused or cut socket still ends in 'close', which the tests read
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<WireSocket> {
    const socket = new WebSocket(url, 'graphql-transport-ws', { headers });
    const wire = new WireSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      socket.once('close', () => resolve()); // closed right after the upgrade: the caller reads `closed`
    });
    return wire;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** connection_init, then waits for the acknowledgement. */
  async init(payload: Record<string, unknown> = {}): Promise<void> {
    this.send({ type: 'connection_init', payload });
    await this.until(() => this.received.some((m) => m.type === 'connection_ack'), 'connection_ack');
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.send({ id, type: 'subscribe', payload: { query, variables } });
  }

  /** Waits until `check` holds (re-checked on every message) or the socket closes. */
  async until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let closed = false;
    void this.closed.then(() => (closed = true));
    while (!check()) {
      if (closed) throw new Error(`socket closed while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  close(): void {
    this.socket.terminate();
  }
}
