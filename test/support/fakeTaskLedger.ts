/**
 * The fake Kling's tasks, written from docs/kling.md alone (nothing from src/), so a misreading of Kling's
 * format in src/ cannot hide in the fake too. Status follows a task's age on every read: no timers.
 */

/** A task as Kling answers it (docs/kling.md, "Answer envelope"). */
export interface FakeTaskData {
  task_id: string;
  task_status: string;
  task_status_msg: string;
  task_info: { parent_video: FakeVideo; external_task_id?: string };
  task_result?: { videos: FakeVideo[] };
  final_unit_deduction?: string;
  /** advanced lip-sync answers echo it */
  watermark_info?: { enabled: boolean };
  created_at: number;
  updated_at: number;
}

export interface FakeVideo {
  id: string;
  url: string;
  duration: string;
  /** advanced lip-sync with watermark_info.enabled */
  watermark_url?: string;
}

/** A refusal the fake answers with Kling's envelope code. */
export class FakeRejection extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface Task {
  id: string;
  createdAt: number;
  externalTaskId: string | undefined;
  parentVideo: FakeVideo;
  resultId: string;
  failure: string | null;
  /** this task's own duration */
  succeedAfterMs: number;
  /** advanced lip-sync: a watermarked copy was asked for */
  watermark: boolean;
  /** what it reports as final_unit_deduction once finished; undefined: never reported */
  units: string | undefined;
}

export interface LedgerTiming {
  processingAfterMs: number;
  succeedAfterMs: number;
  /** tasks running at once at most (Kling's per-resource-pack limit): more creates answer 1303 */
  maxRunning?: number;
  /** when set, each task's duration is drawn uniformly between succeedAfterMs and this (real jobs vary) */
  succeedAfterMsMax?: number;
  /** another endpoint family's body rules (fakeAdvancedKling.ts): the input it books, with video_id/video_url */
  checkBody?: (body: unknown) => { input: Fields; externalTaskId: string | undefined };
}

const MEDIA = 'https://media.fake-kling.invalid';
const DURATION = '5.1';
const UNITS = '1.5';

/** Kling's ids: 18-digit numbers sent as strings. A random start keeps ids unique across fakes in one run. */
let lastId = 700_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e9)) * 1_000_000n;
export function newKlingId(): string {
  lastId += 1n;
  return lastId.toString();
}

export class FakeTaskLedger {
  /** oldest first */
  private readonly ordered: Task[] = [];
  /**
   * Index in `ordered` of the oldest task that may still run: tasks end in creation order (one duration for the
   * slot rule), so the running ones are a suffix and `running()` costs O(1) amortised, not a scan of every task
   * at every create (which made the fake, not the server, the bottleneck of a long benchmark).
   */
  private oldestRunning = 0;
  private readonly byId = new Map<string, Task>();
  private readonly byExternalId = new Map<string, Task>();
  /** tasks show in list answers only this long after creation (Kling's list lags its create) */
  listVisibilityDelayMs = 0;
  /** where result and parent videos "live" (FakeKling points it at itself when it serves a real mp4) */
  mediaBaseUrl = MEDIA;
  /** the most tasks ever running at once (sampled at each create) */
  maxRunningSeen = 0;
  /** creates refused with 1303 for the concurrency limit */
  concurrencyRefusals = 0;
  /**
   * The `final_unit_deduction` a task reports once finished, chosen at its create from the create body's `input`
   * (e.g. by its text); undefined: the task never reports one. Default: 1.5 for every task.
   */
  unitsRule: (input: Record<string, unknown>) => string | undefined = () => UNITS;

  constructor(private readonly timing: LedgerTiming) {}

  create(body: unknown): FakeTaskData {
    const { input, externalTaskId } = (this.timing.checkBody ?? checkCreateBody)(body);
    if (externalTaskId !== undefined && this.byExternalId.has(externalTaskId)) {
      throw new FakeRejection(1201, `Invalid parameter value: external_task_id ${externalTaskId} already exists`);
    }
    // docs/kling.md, 1303: a task holds its slot from submitted until it ends, failures included.
    if (this.timing.maxRunning !== undefined && this.running() >= this.timing.maxRunning) {
      this.concurrencyRefusals++;
      throw new FakeRejection(1303, 'parallel task over resource pack limit');
    }
    const videoId = typeof input.video_id === 'string' ? input.video_id : undefined;
    const task: Task = {
      id: newKlingId(),
      createdAt: Date.now(),
      externalTaskId,
      parentVideo: videoId
        ? { id: videoId, url: `${this.mediaBaseUrl}/videos/${videoId}.mp4`, duration: DURATION }
        : { id: newKlingId(), url: input.video_url as string, duration: DURATION },
      resultId: newKlingId(),
      succeedAfterMs: this.drawDuration(),
      failure: /no[\s_-]?face/i.test(`${input.text ?? ''} ${input.video_url ?? ''}`)
        ? 'no face detected in the video'
        : null,
      watermark: input.watermark === true,
      units: this.unitsRule(input),
    };
    this.ordered.push(task);
    this.maxRunningSeen = Math.max(this.maxRunningSeen, this.running());
    this.byId.set(task.id, task);
    if (externalTaskId !== undefined) this.byExternalId.set(externalTaskId, task);
    return this.view(task);
  }

  /** How long after its creation this task finishes. */
  succeedAfterMsOf(taskId: string): number | undefined {
    return this.byId.get(taskId)?.succeedAfterMs;
  }

  get(taskId: string): FakeTaskData {
    const task = this.byId.get(taskId);
    if (!task) throw new FakeRejection(1203, `Requested resource does not exist: task ${taskId}`);
    return this.view(task);
  }

  /** Newest first, within Kling's paging bounds; young tasks stay hidden while a visibility delay is set. */
  list(pageNum: number, pageSize: number): FakeTaskData[] {
    if (!Number.isInteger(pageNum) || pageNum < 1 || pageNum > 1000)
      throw new FakeRejection(1201, 'Invalid parameter value: pageNum');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500)
      throw new FakeRejection(1201, 'Invalid parameter value: pageSize');
    const visibleBefore = Date.now() - this.listVisibilityDelayMs;
    let newest = this.ordered.length;
    if (this.listVisibilityDelayMs > 0)
      while (newest > 0 && this.ordered[newest - 1].createdAt > visibleBefore) newest--;
    const end = newest - (pageNum - 1) * pageSize;
    if (end <= 0) return [];
    return this.ordered
      .slice(Math.max(0, end - pageSize), end)
      .reverse()
      .map((task) => this.view(task));
  }

  taskByExternalId(externalTaskId: string): FakeTaskData | undefined {
    const task = this.byExternalId.get(externalTaskId);
    return task && this.view(task);
  }

  /** Every task, newest first, whatever the visibility delay. */
  allTasks(): FakeTaskData[] {
    return [...this.ordered].reverse().map((task) => this.view(task));
  }

  /** Tasks created and not finished yet. */
  running(): number {
    const endedBefore = Date.now() - this.timing.succeedAfterMs;
    while (this.oldestRunning < this.ordered.length && this.ordered[this.oldestRunning].createdAt <= endedBefore)
      this.oldestRunning++;
    return this.ordered.length - this.oldestRunning;
  }

  get size(): number {
    return this.ordered.length;
  }

  clear(): void {
    this.ordered.length = 0;
    this.oldestRunning = 0;
    this.byId.clear();
    this.byExternalId.clear();
    this.listVisibilityDelayMs = 0;
    this.maxRunningSeen = 0;
    this.concurrencyRefusals = 0;
    this.unitsRule = () => UNITS;
  }

  private drawDuration(): number {
    const { succeedAfterMs, succeedAfterMsMax } = this.timing;
    return succeedAfterMsMax === undefined
      ? succeedAfterMs
      : Math.round(succeedAfterMs + Math.random() * (succeedAfterMsMax - succeedAfterMs)); // Kling sends whole milliseconds
  }

  private view(task: Task): FakeTaskData {
    const age = Date.now() - task.createdAt;
    const { processingAfterMs } = this.timing;
    const { succeedAfterMs } = task;
    const done = age >= succeedAfterMs;
    const status = done ? (task.failure ? 'failed' : 'succeed') : age >= processingAfterMs ? 'processing' : 'submitted';
    const data: FakeTaskData = {
      task_id: task.id,
      task_status: status,
      task_status_msg: status === 'failed' ? (task.failure as string) : '',
      task_info: { parent_video: { ...task.parentVideo } },
      created_at: task.createdAt,
      updated_at: task.createdAt + (done ? succeedAfterMs : status === 'processing' ? processingAfterMs : 0),
    };
    if (task.externalTaskId !== undefined) data.task_info.external_task_id = task.externalTaskId;
    if (status === 'succeed') {
      data.task_result = {
        videos: [{ id: task.resultId, url: `${this.mediaBaseUrl}/lipsync/${task.resultId}.mp4`, duration: DURATION }],
      };
    }
    if (task.watermark) {
      data.watermark_info = { enabled: true };
      for (const video of data.task_result?.videos ?? []) video.watermark_url = video.url.replace(/\.mp4$/, '-wm.mp4');
    }
    if (done && task.units !== undefined) data.final_unit_deduction = task.units;
    return data;
  }
}

type Fields = Record<string, unknown>;

/** Kling's create rules (docs/kling.md, "Create body"): 1200 for a body that is no request, 1201 for a bad value. */
function checkCreateBody(body: unknown): { input: Fields; externalTaskId: string | undefined } {
  if (!isObject(body) || !isObject(body.input))
    throw new FakeRejection(1200, 'Invalid request parameters: input is required');
  const input = body.input;
  const bad = (what: string): never => {
    throw new FakeRejection(1201, `Invalid parameter value: ${what}`);
  };
  const filled = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
  if (filled(input.video_id) === filled(input.video_url)) bad('exactly one of video_id and video_url');
  for (const key of ['video_id', 'video_url'] as const) if (input[key] !== undefined && !filled(input[key])) bad(key);
  if (filled(input.video_url) && !/^https?:\/\/[^\s/]+/i.test(input.video_url)) bad('video_url');
  if (input.mode === 'text2video') {
    if (!filled(input.text) || [...input.text].length > 120) bad('text (1 to 120 characters)');
    if (!filled(input.voice_id)) bad('voice_id');
    if (input.voice_language !== 'zh' && input.voice_language !== 'en') bad('voice_language (zh or en)');
    const speed = input.voice_speed;
    if (speed !== undefined && (typeof speed !== 'number' || !(speed >= 0.8 && speed <= 2)))
      bad('voice_speed (0.8 to 2.0)');
  } else if (input.mode === 'audio2video') {
    const url = filled(input.audio_url);
    const file = filled(input.audio_file);
    if (input.audio_type === 'url' ? !url || file : input.audio_type === 'file' ? !file || url : true) {
      bad('audio_type with exactly its audio_url or audio_file');
    }
  } else {
    bad('mode (text2video or audio2video)');
  }
  if (body.callback_url !== undefined && !filled(body.callback_url)) bad('callback_url');
  if (body.external_task_id !== undefined && !filled(body.external_task_id)) bad('external_task_id');
  return { input, externalTaskId: body.external_task_id as string | undefined };
}

export function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
