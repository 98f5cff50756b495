import type { Coordination } from '../coordination';
import type { Logger } from '../logger';
import type { ArchiveParts } from '../services/archive/buildArchive';
import type { TaskCountSampler } from '../services/TaskCountSampler';
import type { TaskStore } from '../store/TaskStore';
import type { KlingApi } from '../upstream/KlingApi';
import type { GraphQLLayer } from './buildGraphQL';
import type { HttpLayer } from './buildHttpLayer';
import type { TaskServices } from './buildTaskServices';
import type { Webhooks } from './buildWebhooks';
import type { Foundation } from './Foundation';
import { closeHttp } from './httpLifecycle';

export type ShutdownStep = [what: string, step: () => Promise<void>];

export interface ShutdownParts {
  store: TaskStore;
  coordination: Coordination;
  kling: KlingApi;
  tasks: TaskServices;
  webhooks: Webhooks;
  archive: ArchiveParts;
  graphql: GraphQLLayer;
  http: HttpLayer;
  taskCounts: TaskCountSampler;
}

/**
 * Shutdown, in order: background work that starts new upstream calls first, then the doors (HTTP drains within
 * the grace period while WebSockets close with 1001), then what the served requests used, the store last.
 * Each step waits for the one before it.
 */
export function shutdownSteps({ config, tracing }: Foundation, p: ShutdownParts): ShutdownStep[] {
  return [
    // first the background work that starts upstream calls: the reconciler's look-ups and resubmissions
    ['reconciler', () => p.tasks.reconciler.stop()],
    // its downloads are aborted and left for the next start
    ['archive', () => p.archive.stop()],
    // no more queued tasks are claimed and submitted
    ['queue dispatcher', () => p.tasks.dispatcher.close()],
    // its timer reads the store, which must still be open for a count in progress
    ['task counts', () => p.taskCounts.stop()],
    // attempts in flight finish (each within WEBHOOK_TIMEOUT_MS) and are recorded before the store closes
    ['webhook worker', () => p.webhooks.worker.close()],
    // the doors: requests in flight finish within SHUTDOWN_GRACE_MS, sockets close with 1001, while every
    // service below still works for them
    [
      'HTTP and WebSockets',
      async () => {
        const drained = closeHttp(p.http.httpServer, config.shutdownGraceMs);
        await p.http.subscriptions.close();
        await drained;
      },
    ],
    // once no request or operation can reach it any more
    ['Apollo', () => p.graphql.apollo.stop()],
    // gives up its poll leases (so another instance takes over at once) while coordination still reaches Redis
    ['watcher', () => p.tasks.watcher.close()],
    // Redis (hub, leases, limits) after the last lease holder and publisher
    ['coordination', () => p.coordination.close()],
    // its sockets, after the last upstream call
    ['upstream client', () => p.kling.close()],
    // every step above may still read or write it
    ['store', () => p.store.close()],
    // after the last span: shutting down flushes them
    ['tracing', async () => tracing?.shutdown()],
  ];
}

/** Runs the steps once, in order; a second stop() gets the same promise. Logs are flushed last. */
export function stopInOrder(steps: readonly ShutdownStep[], log: Logger): () => Promise<void> {
  let stopping: Promise<void> | null = null;
  return () => {
    stopping ??= (async () => {
      log.info('shutting down: draining requests and subscriptions');
      for (const [what, step] of steps) {
        log.debug({ step: what }, 'stopping');
        await step();
      }
      log.info('stopped');
      await new Promise<void>((resolve) => log.flush(() => resolve()));
    })();
    return stopping;
  };
}
