import 'reflect-metadata';
import 'dotenv/config';
import { ConfigError, loadConfig } from './config';
import { createServer } from './server';
import { RedisUnavailableError } from './coordination/redis';
import { StoreOpenError } from './store';

/** `npm start`: configuration from the environment (and .env), then serve until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const starting = createServer(loadConfig());
  let signalled = false;
  // Registered before start-up ends: the server already answers while it finishes starting (recovery, first
  // counts), so a signal can arrive in between; it then stops the server as soon as the server is whole.
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    void starting.then(
      (server) => {
        server.log.info({ signal }, 'signal received');
        return server.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            server.log.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      },
      () => undefined, // start-up failed: main's caller reports it and exits
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  await starting;
}

main().catch((error: unknown) => {
  // Start-up problems are the operator's to fix: one line naming the cause, no stack.
  if (error instanceof ConfigError || error instanceof StoreOpenError || error instanceof RedisUnavailableError) {
    console.error(`lipsync-graph: ${error.message}`);
  } else {
    console.error('lipsync-graph: failed to start:', error);
  }
  process.exit(1);
});
