/**
 * The server under test, alone in its own process: configuration from the environment (as `npm start`),
 * the production build from dist/, and an IPC line to the harness for CPU time, memory and a clean stop
 * (a clean stop is also what makes --cpu-prof write its profile).
 */
import path from 'node:path';
import { serveIpc } from './childRuntime';
import { DIST } from './paths';

/** The slice of dist/server.js and dist/config/ the harness relies on (kept local: src/ is not compiled twice). */
interface RunningServer {
  origin: string;
  url: string;
  wsUrl: string;
  watcher: { activeCount(): number };
  listenerCount(): number;
  subscriberCount(): number;
  stop(): Promise<void>;
}
interface ServerModule {
  createServer(config: unknown): Promise<RunningServer>;
}
interface ConfigModule {
  loadConfig(env: NodeJS.ProcessEnv): unknown;
}

async function main(): Promise<void> {
  require('reflect-metadata');
  const { loadConfig } = require(path.join(DIST, 'config')) as ConfigModule;
  const { createServer } = require(path.join(DIST, 'server.js')) as ServerModule;
  const server = await createServer(loadConfig(process.env));
  serveIpc(
    { type: 'ready', origin: server.origin },
    {
      stats: () => ({
        subscribers: server.subscriberCount(),
        listeners: server.listenerCount(),
        watchers: server.watcher.activeCount(),
      }),
      stop: () => server.stop(),
    },
  );
}

main().catch((error: unknown) => {
  console.error('bench serve: failed to start:', error);
  process.exit(1);
});
