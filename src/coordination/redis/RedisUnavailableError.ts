import { redactUrl } from '../../redactUrl';

/** Redis did not answer at start-up: one line for the operator, naming REDIS_URL (password masked) and the cause. */
export class RedisUnavailableError extends Error {
  constructor(redisUrl: string, problem: string) {
    super(`REDIS_URL ${redactUrl(redisUrl)}: cannot reach Redis (${problem.replace(/\s+/g, ' ').trim()})`);
    this.name = 'RedisUnavailableError';
  }
}
