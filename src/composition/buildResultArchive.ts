import type { Coordination } from '../coordination';
import { buildArchive, type ArchiveParts } from '../services/archive/buildArchive';
import type { TaskStore } from '../store/TaskStore';
import type { Foundation } from './Foundation';
import type { ServerOrigin } from './ServerOrigin';
import type { Upstream } from './buildUpstream';

/** The result archive (ARCHIVE=fs|s3|off): copies of succeeded videos, and the /media links to them. */
export function buildResultArchive(
  { config, log, metrics, now }: Foundation,
  deps: { store: TaskStore; coordination: Coordination; origin: ServerOrigin; upstream: Upstream },
): Promise<ArchiveParts> {
  const { kling, simulatedMediaBaseUrl } = deps.upstream;
  return buildArchive(config.archive, {
    store: deps.store,
    hub: deps.coordination.hub,
    log,
    metrics,
    now,
    policy: config.outboundUrls,
    origin: () => deps.origin.get(),
    // the simulated upstream's videos are this server's own demo sample (never a client's URL)
    trustedPrefixes: () => (kling.kind === 'simulated' && simulatedMediaBaseUrl ? [`${simulatedMediaBaseUrl()}/`] : []),
  });
}
