import { DEMO_PATH, demoAppBuilt } from '../http/demoRoute';
import type { TaskStore } from '../store/TaskStore';
import type { Foundation } from './Foundation';
import { GRAPHQL_PATH } from './servingLimits';

/** The startup lines operators (and the child-server tests) wait for. */
export function announceReady({ config, log }: Foundation, origin: string, store: TaskStore): void {
  log.info(
    { url: `${origin}${GRAPHQL_PATH}`, store: store.kind, redis: Boolean(config.redisUrl) },
    'lipsync-graph ready',
  );
  if (config.demo)
    log.info(
      { url: `${origin}${DEMO_PATH}` },
      demoAppBuilt() ? 'demo web app' : 'demo web app: not built (npm run build:web)',
    );
}
