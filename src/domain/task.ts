/**
 * The task as this server knows it, independent of GraphQL and of the upstream's JSON.
 * Stores persist it, mappers translate it, services reason about it.
 */

/** Where a task is in its life, including the two local states before the upstream has it. */
export type TaskState =
  | 'queued' // accepted and stored here, waiting for a concurrency slot at Kling (src/services/QueueDispatcher.ts)
  | 'canceled' // canceled while queued: never sent upstream
  | 'submitting' // intent written, upstream call in flight (or its outcome unknown)
  | 'submit_failed' // the upstream definitely did not accept it
  | 'submitted'
  | 'processing'
  | 'succeeded'
  | 'failed';

export type AcceptedState = Exclude<TaskState, 'submitting' | 'submit_failed' | 'queued' | 'canceled'>;

export type TaskMode = 'TEXT_TO_VIDEO' | 'AUDIO_TO_VIDEO';

/** Which upstream endpoint family a task lives in: /v1/videos/lip-sync or /v1/videos/advanced-lip-sync (docs/kling.md). */
export type TaskKind = 'STANDARD' | 'ADVANCED';

/** What tasks are grouped by when learning how long they take: the mode of a STANDARD task, or ADVANCED. */
export type TaskClass = TaskMode | 'ADVANCED';

export function taskClassOf(record: { kind: TaskKind; mode: TaskMode | null }): TaskClass {
  return record.kind === 'ADVANCED' || record.mode === null ? 'ADVANCED' : record.mode;
}

/** A face Kling found in a video (identify-face): its thumbnail and the time range (ms into the video) it is seen. */
export interface FaceInfo {
  id: string;
  imageUrl: string;
  startMs: number;
  endMs: number;
}

export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set<TaskState>(['succeeded', 'failed', 'canceled']);

export function isTerminal(state: TaskState): boolean {
  return TERMINAL_STATES.has(state);
}

/** Order of progress, so an older answer can never move a task backwards. */
export const STATE_RANK: Readonly<Record<AcceptedState, number>> = {
  submitted: 0,
  processing: 1,
  succeeded: 2,
  failed: 2,
};

export interface VideoInfo {
  id: string;
  url: string;
  durationSeconds: number | null;
  /** ADVANCED: the watermarked copy, when Kling made one */
  watermarkUrl?: string | null;
}

/** What the upstream said about one task at one moment, in our own terms. */
export interface TaskSnapshot {
  upstreamId: string;
  state: AcceptedState;
  statusMessage: string | null;
  parentVideo: VideoInfo | null;
  videos: VideoInfo[];
  /** epoch milliseconds, as the upstream reports them */
  createdAt: number;
  updatedAt: number;
  /** our own record id, echoed back by the upstream */
  externalTaskId: string | null;
  /** the upstream's units charged for the task (src/domain/units.ts: whole millionths), once it reports them */
  unitsChargedMicro?: number | null;
}

/** An error remembered with a task that never reached the upstream (replayed for idempotent retries). */
export interface StoredError {
  code: string;
  message: string;
  retryable: boolean;
  upstream?: UpstreamErrorInfo;
}

export interface UpstreamErrorInfo {
  httpStatus: number | null;
  code: number | null;
  message: string;
  requestId: string | null;
}

export interface TaskRecord {
  /** local record id; sent upstream as external_task_id */
  id: string;
  tenant: string;
  state: TaskState;
  /** the upstream task_id, null until the upstream accepted the task */
  upstreamId: string | null;
  /** null for ADVANCED tasks (they have no mode) */
  mode: TaskMode | null;
  kind: TaskKind;
  /** ADVANCED: the face chosen from the face session; null for STANDARD */
  face: FaceInfo | null;
  statusMessage: string | null;
  parentVideo: VideoInfo | null;
  videos: VideoInfo[];
  idempotencyKey: string | null;
  /** hash of the normalised create input, to tell a true retry from a key reused for another input */
  requestHash: string;
  idempotencyExpiresAt: number | null;
  upstreamRequestId: string | null;
  submitError: StoredError | null;
  /** epoch ms: upstream's times once accepted, local times before */
  createdAt: number;
  updatedAt: number;
  /** epoch ms when this server wrote the intent */
  recordedAt: number;
  /** epoch ms of the last answer from the upstream about this task */
  checkedAt: number;
  /** epoch ms until which the submitting process owns a `submitting` row */
  leaseUntil: number;
  /** epoch ms when the task entered the queue (its FIFO place within its tenant); null for rows from before the queue */
  queuedAt: number | null;
  /** units the upstream charged (whole millionths, src/domain/units.ts); null until it reports them; never changes once set */
  unitsChargedMicro: number | null;
}

/** What is written before the upstream is called. */
export interface TaskIntent {
  id: string;
  tenant: string;
  mode: TaskMode | null;
  /** absent: STANDARD */
  kind?: TaskKind;
  face?: FaceInfo | null;
  requestHash: string;
  idempotencyKey: string | null;
  idempotencyExpiresAt: number | null;
  recordedAt: number;
  leaseUntil: number;
  /** true: the row starts `queued` (the dispatcher submits it); false/absent: `submitting` at once */
  queued?: boolean;
  /** the create input as JSON, kept until the upstream accepts the task so a queued task can be sent later */
  request?: string;
  /** where this server sends the task's webhooks (checked and normalised); written with the intent (migration 006) */
  callbackUrl?: string | null;
}
