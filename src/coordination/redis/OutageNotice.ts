import type { Logger } from '../../logger';
import { describeRedisError } from './describeRedisError';

/**
 * Logs a Redis outage once when it begins and once when it ends, however many calls fail in between:
 * every feature keeps working without Redis, so a log line per failed call would only bury the news.
 */
export class OutageNotice {
  private down = false;

  /** e.g. feature "upstream rate limit", meanwhile "pacing requests per instance" */
  constructor(
    private readonly log: Logger,
    private readonly feature: string,
    private readonly meanwhile: string,
  ) {}

  began(error: unknown): void {
    if (this.down) return;
    this.down = true;
    this.log.warn({ err: describeRedisError(error) }, `redis unavailable for ${this.feature}: ${this.meanwhile}`);
  }

  ended(): void {
    if (!this.down) return;
    this.down = false;
    this.log.info(`redis available again for ${this.feature}`);
  }
}
