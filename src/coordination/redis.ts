import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Coordination } from './Coordination';

export async function redisCoordination(_url: string, _config: Config, _log: Logger): Promise<Coordination> {
  throw new Error('REDIS_URL support is being built');
}
