import type { Logger } from 'pino';
import { isTerminal, type TaskKind, type TaskRecord, type TaskState } from '../domain/task';
import { NotFoundError } from '../errors';
import type { Metrics } from '../metrics';
import type { PageCursor, TaskStore } from '../store/TaskStore';
import type { QueueDispatcher } from './QueueDispatcher';
import { TerminalTaskCache } from './TerminalTaskCache';
import type { TaskUpdateHub } from './TaskUpdateHub';
import type { TaskWatcher } from './TaskWatcher';
import { UpdateStream } from './UpdateStream';

export interface TaskReadsOptions {
  store: TaskStore;
  watcher: TaskWatcher;
  hub: TaskUpdateHub;
  dispatcher: QueueDispatcher;
  log: Logger;
  metrics?: Metrics;
  now: () => number;
  freshnessMs: number;
}

export interface ListResult {
  records: TaskRecord[];
  hasNextPage: boolean;
}

/** A read of a live task waits at most this long for the upstream, well inside a router's subgraph timeout. */
const READ_REFRESH_BUDGET_MS = 2_000;
/** A subscriber to a QUEUED task hears its position change at most this often. */
const POSITION_EVENT_MS = 1_000;

/**
 * Reading tasks: get (fresh enough, finished tasks from memory), list, watch (a stream of changes until the end)
 * and queue positions. Tasks are found by our own id or, for links made before our ids were public, by Kling's
 * task id; always within the caller's tenant.
 */
export class TaskReads {
  private readonly finished = new TerminalTaskCache(10_000);

  constructor(private readonly options: TaskReadsOptions) {}

  /** By our id, else by Kling's task id (links made before our ids were public). */
  async find(id: string, tenant: string): Promise<TaskRecord | null> {
    const { store } = this.options;
    return (await store.getById(id, tenant)) ?? (await store.getByUpstreamId(id, tenant));
  }

  async get(tenant: string, id: string): Promise<TaskRecord | null> {
    const cached = this.finished.get(id);
    if (cached) return cached.tenant === tenant ? cached : null;
    const record = await this.find(id, tenant);
    if (!record) return null;
    if (isTerminal(record.state)) {
      this.finished.set(id, record);
      return record;
    }
    // Not at Kling (yet, or ever): nothing to refresh there.
    const upstreamId = record.upstreamId;
    if (upstreamId === null) return record;
    this.options.watcher.track(record);
    // A list sweep that found the task unchanged wrote nothing: the watcher remembers when it last heard of it.
    const checkedAt = Math.max(record.checkedAt, this.options.watcher.lastAnsweredAt(upstreamId));
    if (this.options.now() - checkedAt <= this.options.freshnessMs) return record;
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), READ_REFRESH_BUDGET_MS);
    });
    const refresh = this.options.watcher.refresh(upstreamId, record.kind);
    try {
      const fresh = await Promise.race([refresh, budget]);
      if (fresh !== 'late') return fresh;
      // The refresh goes on (its result lands in the store); this caller should not wait out upstream timeouts.
      refresh.catch(() => undefined);
      this.options.log.warn({ taskId: upstreamId }, 'refresh is slow; serving the stored task');
      return record;
    } catch (error) {
      // A slightly old answer beats no answer: the watcher keeps trying.
      this.options.log.warn({ taskId: upstreamId, err: describe(error) }, 'refresh failed; serving the stored task');
      return record;
    } finally {
      clearTimeout(timer);
    }
  }

  async list(
    tenant: string,
    first: number,
    after: PageCursor | undefined,
    state: TaskState | undefined,
    kind?: TaskKind,
  ): Promise<ListResult> {
    const rows = await this.options.store.list({ tenant, limit: first + 1, after, state, kind });
    return { records: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /**
   * The task now, then every status change (and a QUEUED task's position changes), ending after SUCCEEDED, FAILED
   * or CANCELED.
   * Throws NOT_FOUND when the tenant has no such task.
   */
  async watch(tenant: string, id: string): Promise<AsyncIterableIterator<TaskRecord>> {
    const { hub, watcher, metrics, dispatcher } = this.options;
    let lastState: TaskState | null = null;
    let last: TaskRecord | null = null;
    let lastPosition: number | null = null;
    let unsubscribe = () => {};
    const positions = setInterval(() => {
      // A queued task's place changes without any event of its own: looked at once a second, emitted when it moved.
      if (!last || last.state !== 'queued') return;
      const queued = last;
      dispatcher.positionOf(queued.id).then(
        (position) => {
          if (last !== queued || position === lastPosition) return;
          lastPosition = position;
          stream.push(queued);
        },
        () => undefined,
      );
    }, POSITION_EVENT_MS);
    positions.unref();
    const stream = new UpdateStream<TaskRecord>(() => {
      clearInterval(positions);
      unsubscribe();
      metrics?.subscriptionsActive.dec();
    });
    const emit = (record: TaskRecord) => {
      if (record.tenant !== tenant || record.state === lastState) return;
      lastState = record.state;
      last = record;
      stream.push(record);
      if (record.upstreamId !== null && !isTerminal(record.state)) watcher.track(record);
      if (isTerminal(record.state)) stream.end();
    };
    metrics?.subscriptionsActive.inc();
    try {
      // Subscribe before reading, so a change landing in between is not missed (the store is written first).
      // Most callers name our id; one that names Kling's is subscribed again under ours once the row is found.
      unsubscribe = hub.subscribe(id, emit);
      let record = await this.options.store.getById(id, tenant);
      if (!record) {
        unsubscribe();
        const byKlingId = await this.options.store.getByUpstreamId(id, tenant);
        if (!byKlingId) throw new NotFoundError(`Lip-sync task ${id}`);
        unsubscribe = hub.subscribe(byKlingId.id, emit);
        record = (await this.options.store.getById(byKlingId.id, tenant)) ?? byKlingId;
      }
      if (record.state === 'queued') lastPosition = await dispatcher.positionOf(record.id);
      emit(record);
    } catch (error) {
      await stream.return();
      throw error;
    }
    return stream;
  }

  /** 1 = next to be submitted; null unless the task is queued. */
  queuePosition(id: string): Promise<number | null> {
    return this.options.dispatcher.positionOf(id);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
