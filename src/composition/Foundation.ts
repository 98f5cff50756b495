import type { DestinationStream } from 'pino';
import type { Config } from '../config';
import { createLogger, type Logger } from '../logger';
import { Metrics } from '../metrics';
import { startTracing } from '../tracing/startTracing';
import type { Tracing } from '../tracing/Tracing';

/** What every builder is given: the configuration, the clock, and where logs, metrics and spans go. */
export interface Foundation {
  config: Config;
  now: () => number;
  log: Logger;
  metrics: Metrics;
  /** null when OTEL_* is unset: no SDK, no span, no wrapper anywhere */
  tracing: Tracing | null;
}

export async function buildFoundation(
  config: Config,
  options: { logDestination?: DestinationStream; now?: () => number },
): Promise<Foundation> {
  const log = createLogger({
    level: config.logLevel,
    pretty: !config.production,
    destination: options.logDestination,
  });
  const metrics = new Metrics();
  const tracing = await startTracing(config.tracing, log);
  return { config, now: options.now ?? Date.now, log, metrics, tracing };
}
