import { randomUUID } from 'node:crypto';
import type { TaskKind } from '../domain/task';
import type { KlingApi, UpstreamAnswer } from './KlingApi';
import type {
  KlingAdvancedCreateBody,
  KlingCreateBody,
  KlingFaceSessionData,
  KlingIdentifyFaceBody,
  KlingTaskData,
} from './kling.types';
import { FaceBook } from './simulated/FaceBook';
import { KlingRejection } from './simulated/KlingRejection';
import { TaskBook, type TaskBookOptions } from './simulated/TaskBook';
import { rejectedByKling } from './upstreamErrors';

export type SimulatedKlingOptions = TaskBookOptions;

/**
 * The zero-config upstream: Kling's behaviour in-process, so the server runs (and demos) without credentials.
 * Tasks finish after seconds instead of minutes, and fail the same way the real client reports failures.
 * Each endpoint family keeps its own tasks, as Kling's lists are per family (docs/kling.md, "Advanced lip-sync").
 */
export class SimulatedKling implements KlingApi {
  readonly kind = 'simulated' as const;
  private readonly books: Record<TaskKind, TaskBook>;
  private readonly faces = new FaceBook();

  constructor(options: SimulatedKlingOptions = {}) {
    const timing = { processingAfterMs: 2_000, succeedAfterMs: 6_000, ...options };
    this.books = { STANDARD: new TaskBook(timing), ADVANCED: new TaskBook(timing) };
  }

  async createLipSync(body: KlingCreateBody): Promise<UpstreamAnswer<KlingTaskData>> {
    return answer(() => this.books.STANDARD.create(body));
  }

  async createAdvancedLipSync(body: KlingAdvancedCreateBody): Promise<UpstreamAnswer<KlingTaskData>> {
    return answer(() => this.books.ADVANCED.book({ ...this.faces.check(body), noFace: false }));
  }

  async identifyFace(body: KlingIdentifyFaceBody): Promise<UpstreamAnswer<KlingFaceSessionData>> {
    return answer(() => this.faces.identify(body, this.books.ADVANCED.mediaBase));
  }

  async getLipSync(taskId: string, kind: TaskKind = 'STANDARD'): Promise<UpstreamAnswer<KlingTaskData>> {
    return answer(() => this.books[kind].get(taskId));
  }

  async listLipSync(
    pageNum: number,
    pageSize: number,
    kind: TaskKind = 'STANDARD',
  ): Promise<UpstreamAnswer<KlingTaskData[]>> {
    return answer(() => this.books[kind].list(pageNum, pageSize));
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
