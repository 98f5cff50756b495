import type { DestinationStream } from 'pino';
import { announceReady } from './composition/announceReady';
import { buildFoundation } from './composition/Foundation';
import { buildGraphQL } from './composition/buildGraphQL';
import { buildHttpLayer } from './composition/buildHttpLayer';
import { buildResultArchive } from './composition/buildResultArchive';
import { buildServices } from './composition/buildServices';
import { buildStore } from './composition/buildStore';
import { buildTaskServices } from './composition/buildTaskServices';
import { buildUpstream } from './composition/buildUpstream';
import { buildWebhooks } from './composition/buildWebhooks';
import { listen, localOrigin } from './composition/httpLifecycle';
import { requestContexts } from './composition/requestContext';
import { ServerOrigin } from './composition/ServerOrigin';
import { GRAPHQL_PATH } from './composition/servingLimits';
import { shutdownSteps, stopInOrder } from './composition/shutdownSteps';
import { startBackgroundWork } from './composition/startBackgroundWork';
import type { Config } from './config';
import { createCoordination } from './coordination';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { TaskWatcher } from './services/TaskWatcher';
import type { TaskStore } from './store/TaskStore';

export { GRAPHQL_PATH };

export interface ServerOverrides {
  /** where logs go (tests capture them); stdout otherwise */
  logDestination?: DestinationStream;
  now?: () => number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:4000/graphql */
  url: string;
  /** e.g. ws://127.0.0.1:4000/graphql */
  wsUrl: string;
  /** http://host:port */
  origin: string;
  port: number;
  log: Logger;
  metrics: Metrics;
  store: TaskStore;
  watcher: TaskWatcher;
  listenerCount(): number;
  subscriberCount(): number;
  /** graceful: stop accepting, finish in-flight requests (up to the grace period), close sockets with 1001, close the store */
  stop(): Promise<void>;
}

/**
 * The composition root: config → store → coordination → upstream → services → GraphQL → HTTP/WebSocket.
 * Nothing else reads configuration or builds long-lived objects; each step is a builder in src/composition/.
 */
export async function createServer(config: Config, overrides: ServerOverrides = {}): Promise<RunningServer> {
  // the parts, inside out; each builder takes what the ones before it made
  const base = await buildFoundation(config, overrides);
  const store = await buildStore(base);
  const coordination = await createCoordination(config, base.log);
  const serverOrigin = new ServerOrigin(config.publicUrl);
  const upstream = buildUpstream(base, { coordination, origin: serverOrigin });
  const { kling } = upstream;
  const tasks = await buildTaskServices(base, { store, kling, coordination });
  const webhooks = await buildWebhooks(base, { store, coordination });
  const archive = await buildResultArchive(base, { store, coordination, origin: serverOrigin, upstream });
  const services = buildServices(base, { store, kling, coordination, tasks, webhooks, archive });

  // the doors, built but closed
  const contexts = requestContexts(base, services);
  const graphql = await buildGraphQL(base, { coordination });
  const http = buildHttpLayer(base, { graphql, contexts, store, coordination, tasks, archive });

  // open: the origin is known now, and background work may need it
  const port = await listen(http.httpServer, config.port, config.host);
  const origin = localOrigin(config.host, port);
  serverOrigin.listening(origin);
  const { taskCounts } = await startBackgroundWork(base, { store, tasks, webhooks, archive });
  announceReady(base, origin, store);

  const steps = shutdownSteps(base, {
    store,
    coordination,
    kling,
    tasks,
    webhooks,
    archive,
    graphql,
    http,
    taskCounts,
  });
  return {
    url: `${origin}${GRAPHQL_PATH}`,
    wsUrl: `${origin.replace('http', 'ws')}${GRAPHQL_PATH}`,
    origin,
    port,
    log: base.log,
    metrics: base.metrics,
    store,
    watcher: tasks.watcher,
    listenerCount: () => coordination.hub.listenerCount(),
    subscriberCount: () => http.subscriptions.clientCount(),
    stop: stopInOrder(steps, base.log),
  };
}
