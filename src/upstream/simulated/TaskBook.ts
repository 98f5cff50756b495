import type { KlingCreateBody, KlingTaskData, KlingTaskStatus, KlingVideo } from '../kling.types';
import { KlingRejection } from './KlingRejection';
import { validateCreateBody } from './validateCreateBody';

export interface TaskBookOptions {
  /** epoch ms; injectable so tests can move time */
  now?: () => number;
  /** age at which a task reports `processing` */
  processingAfterMs?: number;
  /** age at which a task reports `succeed` (or `failed`) */
  succeedAfterMs?: number;
  /** oldest tasks are forgotten past this many, so a long-running simulated server cannot grow without bound */
  maxTasks?: number;
  /** where the simulated result videos "live"; a function when it is known only later (the server's own origin once listening) */
  mediaBaseUrl?: string | (() => string);
  /** tasks running at once at most (Kling's per-resource-pack limit); more creates answer 1303. Default unlimited */
  maxConcurrent?: number;
}

interface BookedTask {
  taskId: string;
  createdAt: number;
  externalTaskId: string | undefined;
  parentVideo: KlingVideo;
  resultVideo: KlingVideo;
  /** set when the task is bound to fail, with the reason Kling would give */
  failureMessage: string | null;
  /** advanced lip-sync with watermark_info.enabled: the result also has a watermark_url */
  watermark: boolean;
}

/** What a validated create asks the book for (docs/kling.md: both endpoint families make the same kind of task). */
export interface Booking {
  videoId: string | undefined;
  videoUrl: string | undefined;
  externalTaskId: string | undefined;
  /** fails the way Kling fails a faceless video */
  noFace: boolean;
  watermark: boolean;
}

const SIMULATED_DURATION = '5.1';
/**
 * What a finished simulated task reports as `final_unit_deduction` (a decimal string, docs/kling.md): an
 * illustrative price, not Kling's; a failed task is charged nothing here.
 */
const SIMULATED_UNITS: Readonly<Record<'succeed' | 'failed', string>> = { succeed: '1.5', failed: '0' };
/** A text (or video reference) that mentions "no face" makes the task fail the way Kling fails a faceless video. */
const NO_FACE = /no[\s_-]?face/i;

/**
 * The in-memory Kling task state machine behind the zero-config simulated upstream.
 * Status is derived from a task's age on every read instead of being driven by timers, so the book holds no
 * timers, costs nothing while idle, and moves exactly with an injected clock.
 */
export class TaskBook {
  private readonly now: () => number;
  private readonly processingAfterMs: number;
  private readonly succeedAfterMs: number;
  private readonly maxTasks: number;
  private readonly mediaBaseUrl: () => string;
  private readonly maxConcurrent: number;
  /** creation order, oldest first */
  private readonly ordered: BookedTask[] = [];
  private readonly byId = new Map<string, BookedTask>();
  private readonly byExternalId = new Map<string, BookedTask>();
  /** random start, so ids from a restarted book do not collide with ids a database still remembers */
  private nextId = 800_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e12)) * 100_000n;

  constructor(options: TaskBookOptions = {}) {
    this.now = options.now ?? Date.now;
    this.processingAfterMs = options.processingAfterMs ?? 2_000;
    this.succeedAfterMs = options.succeedAfterMs ?? 6_000;
    this.maxTasks = options.maxTasks ?? 100_000;
    const media = options.mediaBaseUrl ?? 'https://media.simulated-kling.invalid';
    this.mediaBaseUrl = () => (typeof media === 'function' ? media() : media).replace(/\/+$/, '');
    this.maxConcurrent = options.maxConcurrent ?? Infinity;
  }

  /** Accepts a task like Kling's create endpoint; throws KlingRejection (1200/1201) for what Kling rejects. */
  create(body: KlingCreateBody): KlingTaskData {
    const { input, external_task_id: externalTaskId } = validateCreateBody(body);
    return this.book({
      videoId: input.video_id,
      videoUrl: input.video_url,
      externalTaskId,
      noFace: [input.text, input.video_id, input.video_url].some((v) => v !== undefined && NO_FACE.test(v)),
      watermark: false,
    });
  }

  /** The media base URL now (the server's own origin may be known only once it listens). */
  get mediaBase(): string {
    return this.mediaBaseUrl();
  }

  /** Books a validated task (1201 for a reused external_task_id, 1303 over the concurrency limit). */
  book({ videoId, videoUrl, externalTaskId, noFace, watermark }: Booking): KlingTaskData {
    if (externalTaskId !== undefined && this.byExternalId.has(externalTaskId)) {
      throw new KlingRejection(1201, `Invalid parameter value: external_task_id ${externalTaskId} already exists`);
    }
    // A task holds its slot from submitted until it ends (docs/kling.md, 1303).
    if (this.running() >= this.maxConcurrent) throw new KlingRejection(1303, 'parallel task over resource pack limit');
    const taskId = this.newId();
    const parentVideo: KlingVideo = videoId
      ? { id: videoId, url: `${this.mediaBaseUrl()}/videos/${videoId}.mp4`, duration: SIMULATED_DURATION }
      : { id: this.newId(), url: videoUrl as string, duration: SIMULATED_DURATION };
    const resultId = this.newId();
    const task: BookedTask = {
      taskId,
      createdAt: this.now(),
      externalTaskId,
      parentVideo,
      resultVideo: {
        id: resultId,
        url: `${this.mediaBaseUrl()}/lipsync/${resultId}.mp4`,
        duration: SIMULATED_DURATION,
      },
      failureMessage: noFace ? 'no face detected in the video' : null,
      watermark,
    };
    this.remember(task);
    return this.view(task);
  }

  /** Tasks not finished yet (the newest ones: all tasks share one lifetime). */
  private running(): number {
    let count = 0;
    for (let i = this.ordered.length - 1; i >= 0 && this.now() - this.ordered[i].createdAt < this.succeedAfterMs; i--)
      count++;
    return count;
  }

  /** One task as Kling's query endpoint shows it; unknown ids are 1203 like upstream. */
  get(taskId: string): KlingTaskData {
    const task = this.byId.get(taskId);
    if (!task) throw new KlingRejection(1203, `Requested resource does not exist: task ${taskId}`);
    return this.view(task);
  }

  /** A page of tasks, newest first, with Kling's bounds (pageNum 1..1000, pageSize 1..500). */
  list(pageNum: number, pageSize: number): KlingTaskData[] {
    if (!Number.isInteger(pageNum) || pageNum < 1 || pageNum > 1000) {
      throw new KlingRejection(1201, 'Invalid parameter value: pageNum must be between 1 and 1000');
    }
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) {
      throw new KlingRejection(1201, 'Invalid parameter value: pageSize must be between 1 and 500');
    }
    const end = this.ordered.length - (pageNum - 1) * pageSize;
    const start = Math.max(0, end - pageSize);
    return end <= 0
      ? []
      : this.ordered
          .slice(start, end)
          .reverse()
          .map((task) => this.view(task));
  }

  taskByExternalId(externalTaskId: string): KlingTaskData | undefined {
    const task = this.byExternalId.get(externalTaskId);
    return task && this.view(task);
  }

  /** Every task, newest first. */
  allTasks(): KlingTaskData[] {
    return [...this.ordered].reverse().map((task) => this.view(task));
  }

  get size(): number {
    return this.ordered.length;
  }

  clear(): void {
    this.ordered.length = 0;
    this.byId.clear();
    this.byExternalId.clear();
  }

  private remember(task: BookedTask): void {
    this.ordered.push(task);
    this.byId.set(task.taskId, task);
    if (task.externalTaskId !== undefined) this.byExternalId.set(task.externalTaskId, task);
    if (this.ordered.length > this.maxTasks) {
      const oldest = this.ordered.shift() as BookedTask;
      this.byId.delete(oldest.taskId);
      if (oldest.externalTaskId !== undefined) this.byExternalId.delete(oldest.externalTaskId);
    }
  }

  /** A fresh object per read, so no caller can change the book through an answer. */
  private view(task: BookedTask): KlingTaskData {
    const { status, changedAt } = this.progress(task);
    const data: KlingTaskData = {
      task_id: task.taskId,
      task_status: status,
      task_status_msg: status === 'failed' ? (task.failureMessage as string) : '',
      task_info: {
        parent_video: { ...task.parentVideo },
        ...(task.externalTaskId !== undefined && { external_task_id: task.externalTaskId }),
      },
      ...(task.watermark && { watermark_info: { enabled: true } }),
      created_at: task.createdAt,
      updated_at: changedAt,
    };
    if (status === 'succeed') {
      const watermarked = task.watermark && {
        watermark_url: task.resultVideo.url.replace(/\.mp4$/, '-watermarked.mp4'),
      };
      data.task_result = { videos: [{ ...task.resultVideo, ...watermarked }] };
    }
    if (status === 'succeed' || status === 'failed') data.final_unit_deduction = SIMULATED_UNITS[status];
    return data;
  }

  private progress(task: BookedTask): { status: KlingTaskStatus; changedAt: number } {
    const age = this.now() - task.createdAt;
    if (age >= this.succeedAfterMs) {
      return { status: task.failureMessage ? 'failed' : 'succeed', changedAt: task.createdAt + this.succeedAfterMs };
    }
    if (age >= this.processingAfterMs)
      return { status: 'processing', changedAt: task.createdAt + this.processingAfterMs };
    return { status: 'submitted', changedAt: task.createdAt };
  }

  /** 18-digit numeric strings, like Kling's task ids. */
  private newId(): string {
    this.nextId += 1n;
    return this.nextId.toString();
  }
}
