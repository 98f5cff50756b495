import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Coordination } from './Coordination';
import { inProcessCoordination } from './inProcess';

export type { Coordination } from './Coordination';

/** Redis's client is loaded only when REDIS_URL is set: an instance without it never pays its memory (bench B5). */
export async function createCoordination(config: Config, log: Logger): Promise<Coordination> {
  if (!config.redisUrl) return inProcessCoordination();
  // A require, not import(): Jest runs this CommonJS build without ESM support.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { redisCoordination } = require('./redis') as typeof import('./redis.js');
  return redisCoordination(config.redisUrl, config, log, { keyPrefix: config.redisKeyPrefix });
}
