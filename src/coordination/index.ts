import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Coordination } from './Coordination';
import { inProcessCoordination } from './inProcess';
import { redisCoordination } from './redis';

export type { Coordination } from './Coordination';

export async function createCoordination(config: Config, log: Logger): Promise<Coordination> {
  return config.redisUrl
    ? redisCoordination(config.redisUrl, config, log, { keyPrefix: config.redisKeyPrefix })
    : inProcessCoordination();
}
