import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import { InProcessTaskUpdateHub } from '../services/TaskUpdateHub';
import type { Coordination } from './Coordination';

/** A single instance: nothing to share. */
export function inProcessCoordination(): Coordination {
  const hub = new InProcessTaskUpdateHub();
  return {
    hub,
    apqCache: new InMemoryLRUCache<string>({ maxSize: 30 * 1024 * 1024 }),
    readinessChecks: {},
    close: () => hub.close(),
  };
}
