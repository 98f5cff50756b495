import 'reflect-metadata';
import 'dotenv/config';
import { ConfigError, loadConfig } from './config';
import { createServer } from './server';
import { RedisUnavailableError } from './coordination/redis';
import { StoreOpenError } from './store';

/** `npm start`: configuration from the environment (and .env), then serve until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const server = await createServer(loadConfig());
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    server.log.info({ signal }, 'signal received');
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        server.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
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
