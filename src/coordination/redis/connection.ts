import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../logger';
import { describeRedisError } from './describeRedisError';
import { OutageNotice } from './OutageNotice';
import { RedisUnavailableError } from './RedisUnavailableError';

/** Long enough for a Redis container that starts beside us, short enough that a wrong REDIS_URL is reported at once. */
const STARTUP_TIMEOUT_MS = 3_000;
/** Bounds every command, so a Redis that stops answering degrades features (and fails /readyz) within a second. */
const COMMAND_TIMEOUT_MS = 1_000;
const QUIT_TIMEOUT_MS = 1_000;
/**
 * ioredis arms a timer of this length on every disconnect, cleared only when the socket closes afterwards;
 * a socket that had already closed (Redis down) never does, and the default 2 s would hold the process open.
 */
const DISCONNECT_TIMEOUT_MS = 300;

export type RedisRole = 'commands' | 'subscriber';

function optionsFor(role: RedisRole): RedisOptions {
  const common: RedisOptions = {
    connectionName: `lipsync-graph:${role}`,
    connectTimeout: STARTUP_TIMEOUT_MS,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  };
  // Commands fail at once while disconnected instead of queueing, so callers fall back without waiting;
  // the subscriber keeps ioredis's queue, which re-subscribes by itself after a reconnect.
  return role === 'commands' ? { ...common, enableOfflineQueue: false, commandTimeout: COMMAND_TIMEOUT_MS } : common;
}

/**
 * Opens a connection and waits until it is ready, or throws RedisUnavailableError after STARTUP_TIMEOUT_MS
 * (retrying meanwhile). Afterwards it reconnects by itself and logs each outage once.
 */
export async function connectRedis(url: string, role: RedisRole, log: Logger): Promise<Redis> {
  const client = new Redis(url, optionsFor(role));
  const outage = new OutageNotice(log, `the ${role} connection`, 'reconnecting');
  let started = false;
  let startupError: unknown = null;
  // ioredis reports every failed reconnect attempt, and prints them to stderr when nobody listens.
  client.on('error', (error: unknown) => (started ? outage.began(error) : (startupError = error)));
  client.on('ready', () => outage.ended());
  if (!(await becomesReady(client, STARTUP_TIMEOUT_MS))) {
    client.disconnect();
    const problem = startupError ? describeRedisError(startupError) : `no answer within ${STARTUP_TIMEOUT_MS} ms`;
    throw new RedisUnavailableError(url, problem);
  }
  started = true;
  return client;
}

function becomesReady(client: Redis, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    client.once('ready', onReady);
  });
}

/** QUIT lets Redis finish what it was sent; a connection that is down or hung is cut instead. */
export async function closeRedis(client: Redis): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, QUIT_TIMEOUT_MS);
    timer.unref();
  });
  try {
    await Promise.race([client.quit(), hung]);
  } catch {
    // already disconnected: nothing left to finish
  } finally {
    clearTimeout(timer);
  }
  client.disconnect();
}
