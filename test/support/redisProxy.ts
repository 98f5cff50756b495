import net, { type AddressInfo } from 'node:net';

export interface RedisProxy {
  /** redis:// URL of the proxy; the same port across cut() and restore() */
  url: string;
  /** drops every connection and refuses new ones: Redis "goes down" for whoever uses the proxy */
  cut(): Promise<void>;
  /** accepts connections again */
  restore(): Promise<void>;
}

/** A TCP hop in front of the test Redis, so a test can play an outage without stopping the shared server. */
export async function startRedisProxy(targetUrl: string): Promise<RedisProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;

  const track = (socket: net.Socket, peer: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      peer.destroy();
    });
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const listening = net.createServer((client) => {
        const redis = net.connect(Number(target.port || 6379), target.hostname);
        track(client, redis);
        track(redis, client);
        client.pipe(redis).pipe(client);
      });
      listening.once('error', reject);
      listening.listen(port, '127.0.0.1', () => {
        port = (listening.address() as AddressInfo).port;
        server = listening;
        resolve();
      });
    });

  await listen();
  return {
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    cut: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (!server) return resolve();
        server.close(() => resolve());
        server = null;
      }),
    restore: listen,
  };
}
