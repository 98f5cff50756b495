import { randomUUID } from 'node:crypto';
import type { KlingApi, UpstreamAnswer } from './KlingApi';
import type { KlingCreateBody, KlingTaskData } from './kling.types';
import { KlingRejection } from './simulated/KlingRejection';
import { TaskBook, type TaskBookOptions } from './simulated/TaskBook';
import { rejectedByKling } from './upstreamErrors';

export type SimulatedKlingOptions = TaskBookOptions;

/**
 * The zero-config upstream: Kling's behaviour in-process, so the server runs (and demos) without credentials.
 * Tasks finish after seconds instead of minutes, and fail the same way the real client reports failures.
 */
export class SimulatedKling implements KlingApi {
  readonly kind = 'simulated' as const;
  private readonly book: TaskBook;

  constructor(options: SimulatedKlingOptions = {}) {
    this.book = new TaskBook({ processingAfterMs: 2_000, succeedAfterMs: 6_000, ...options });
  }

  async createLipSync(body: KlingCreateBody): Promise<UpstreamAnswer<KlingTaskData>> {
    return answer(() => this.book.create(body));
  }

  async getLipSync(taskId: string): Promise<UpstreamAnswer<KlingTaskData>> {
    return answer(() => this.book.get(taskId));
  }

  async listLipSync(pageNum: number, pageSize: number): Promise<UpstreamAnswer<KlingTaskData[]>> {
    return answer(() => this.book.list(pageNum, pageSize));
  }

  /** Holds no timers or sockets: task status is derived from age on read. */
  async close(): Promise<void> {}
}

function answer<T>(produce: () => T): UpstreamAnswer<T> {
  const requestId = randomUUID();
  try {
    return { data: produce(), requestId };
  } catch (error) {
    if (!(error instanceof KlingRejection)) throw error;
    throw rejectedByKling({ code: error.code, message: error.message, requestId, httpStatus: error.httpStatus });
  }
}
