import type { FaceSession } from '../domain/faceSession';
import type { BudgetUse, FaceUsage, UsageQuery, UsageTotals } from '../domain/usage';
import type { StoredError, TaskIntent, TaskKind, TaskRecord, TaskSnapshot, TaskState } from '../domain/task';
import type { WebhookOutbox } from './WebhookOutbox';
import type { ArchiveStore } from './archive/ArchiveStore';
import type { ClaimedIntentResult } from './claimedIntent';

export type IntentResult =
  /** the intent row was written; the caller must now submit it upstream */
  | { created: true; record: TaskRecord }
  /** a live row already holds this (tenant, idempotency key): the caller must not submit */
  | { created: false; record: TaskRecord };

export interface PageCursor {
  createdAt: number;
  /** our own task id */
  id: string;
}

/** A queued task a dispatcher just claimed (now `submitting` with its lease), with the input to send. */
export interface ClaimedTask {
  record: TaskRecord;
  /** the create input as stored at acceptance (JSON) */
  request: string;
}

export interface QueueStats {
  depth: number;
  /** epoch ms the oldest queued task entered the queue; null when the queue is empty */
  oldestQueuedAt: number | null;
  /** tasks holding a concurrency slot at Kling (submitting, submitted, processing) */
  live: number;
}

export interface ListQuery {
  tenant: string;
  /** rows to return (the caller asks for one more than a page to learn hasNextPage) */
  limit: number;
  /** return rows strictly after this position in (createdAt desc, id desc) order */
  after?: PageCursor;
  state?: TaskState;
  /** only tasks of this kind (migration 005's tasks_list_by_kind) */
  kind?: TaskKind;
}

export interface SnapshotResult {
  record: TaskRecord;
  /** true when the state (or anything a client sees) moved */
  changed: boolean;
}

/**
 * Durable home of every task. Implementations: SQLite (embedded) and PostgreSQL (shared by instances).
 * Every method is atomic on its own; none of them calls the network beyond the database.
 */
export interface TaskStore {
  readonly kind: 'sqlite' | 'postgres';
  /** true when no other process can be writing (embedded file): orphaned `submitting` rows are safe to reconcile at start */
  readonly singleProcess: boolean;

  /** versioned migrations; run once at start */
  migrate(): Promise<void>;

  /**
   * Writes the intent, or returns the row that already holds (tenant, idempotencyKey).
   * An expired key is released from its old row first, so the intent is written.
   * Enforced by a unique constraint, so concurrent callers with one key get exactly one `created: true`.
   */
  insertIntent(intent: TaskIntent, now: number): Promise<IntentResult>;

  /**
   * insertIntent for a create that would be claimed at once: in the same one write, the row is stored already
   * claimed (`submitting` with `intent.leaseUntil`, the tenant served at `now`) when no task of any tenant waits in
   * the queue and the cap leaves a slot — counted as claimQueued counts, atomically and cluster-wide — and
   * `queued` otherwise (`claimed` says which). The webhook outbox still records the QUEUED event. The intent must
   * be a queued one (`intent.queued`).
   */
  insertIntentClaimed(intent: TaskIntent, cap: number | null, now: number): Promise<ClaimedIntentResult>;

  /** The upstream accepted the task: record its id and state. Wins over `submit_failed` (a late acceptance is never lost). */
  markAccepted(id: string, snapshot: TaskSnapshot, upstreamRequestId: string | null, now: number): Promise<TaskRecord>;

  /** The upstream definitely did not accept it. Only moves a `submitting` row; returns the row as stored. */
  markSubmitFailed(id: string, error: StoredError, now: number): Promise<TaskRecord | null>;

  /**
   * Compare-and-set a row back to `submitting` with a fresh lease, for a retry of a retryable definite failure
   * (from `submit_failed`) or a reconciliation claim (from `submitting` whose lease ran out).
   * Returns true only for the one caller that won.
   */
  claimSubmission(id: string, from: 'submit_failed' | 'submitting', leaseUntil: number, now: number): Promise<boolean>;

  /**
   * The submitter is done with a `submitting` row without knowing the outcome (timeout, reset): it keeps the
   * state but gives up its lease (lease_until = 0), so a retry or the reconciler may claim it at once.
   */
  releaseLease(id: string): Promise<void>;

  /** Apply an upstream answer about an accepted task; never moves a task backwards. Null when unknown. */
  applySnapshot(snapshot: TaskSnapshot, upstreamRequestId: string | null, now: number): Promise<SnapshotResult | null>;

  /**
   * Moves queued tasks to `submitting` (with the lease and the time the tenant was served), in the queue's fair
   * order (round-robin by tenant, FIFO within one), as many as `limit` and as the cap leaves room for: with a cap,
   * the count of live tasks and the claims are one atomic step cluster-wide, so two dispatchers never overfill it.
   */
  claimQueued(cap: number | null, limit: number, leaseUntil: number, now: number): Promise<ClaimedTask[]>;
  /** A `submitting` row Kling refused for its concurrency limit (nothing made): back to `queued`, same place. */
  requeue(id: string, now: number): Promise<TaskRecord | null>;
  /** QUEUED → CANCELED for this tenant's task; null when the task is not (or no longer) queued. */
  cancelQueued(id: string, tenant: string, now: number): Promise<TaskRecord | null>;
  /** A queued task's submission failed for good after its create was answered: terminal `failed` with the reason. */
  failSubmission(id: string, error: StoredError, now: number): Promise<TaskRecord | null>;
  /** Queued tasks older than `before` become `failed` with `message`; returns them. */
  expireQueued(before: number, message: string, now: number): Promise<TaskRecord[]>;
  /** Queued task ids in the order claimQueued takes them (1 = next). */
  queueOrder(): Promise<string[]>;
  queueStats(): Promise<QueueStats>;

  getById(id: string, tenant?: string): Promise<TaskRecord | null>;
  /** by upstream task id; with a tenant, only that tenant's row */
  getByUpstreamId(upstreamId: string, tenant?: string): Promise<TaskRecord | null>;
  list(query: ListQuery): Promise<TaskRecord[]>;
  /** all rows still `submitting` (callers look at their leases) */
  listSubmitting(): Promise<TaskRecord[]>;
  /** accepted tasks that are not terminal yet */
  listActive(): Promise<TaskRecord[]>;
  countByState(): Promise<Partial<Record<TaskState, number>>>;

  /**
   * The value stored under `name`, storing `candidate` first when there is none. Every instance (and every
   * restart) gets the same value, whoever called first: for secrets the cluster shares (callback signing).
   */
  getOrCreateSecret(name: string, candidate: string): Promise<string>;

  /** Keeps an identify-face answer (and deletes sessions that expired before `now`). */
  saveFaceSession(session: FaceSession, now: number): Promise<void>;
  /** The tenant's session by Kling's session_id, expired or not (the caller tells the two apart); null when unknown. */
  getFaceSession(id: string, tenant: string): Promise<FaceSession | null>;
  /** The tenant's identifications made in [from, to): one row for the range, or one per UTC day with any. */
  faceUsage(query: UsageQuery): Promise<FaceUsage[]>;
  /** A tenant's task by idempotency key, while the key is live at `now` (an expired key is free for a new task). */
  getByIdempotencyKey(tenant: string, idempotencyKey: string, now: number): Promise<TaskRecord | null>;
  /** Totals of the tenant's tasks created in [from, to): one row for the range, or one per UTC day with tasks. */
  usage(query: UsageQuery): Promise<UsageTotals[]>;
  /** What the monthly budget weighs: units and pending tasks since `monthStart`, the largest charge since `since`. */
  budgetUse(tenant: string, monthStart: number, since: number): Promise<BudgetUse>;
  /**
   * `listener` hears each task once, when a write of this process first stored its units charged (after the
   * commit): exactly once per task across instances and restarts (src/store/unitsCharged.ts).
   */
  onUnitsCharged(listener: (record: TaskRecord) => void): void;
  /**
   * The webhook outbox (src/store/WebhookOutbox.ts). Its events are written by the methods above, in the transaction
   * of the status change they report: insertIntent (QUEUED), markAccepted, applySnapshot (when something a client
   * sees moved), cancelQueued, failSubmission and expireQueued.
   */
  readonly webhooks: WebhookOutbox;
  /** the result archive's rows, in the same database (src/store/archive/) */
  readonly archives: ArchiveStore;

  /** throws when the database does not answer */
  ping(): Promise<void>;
  close(): Promise<void>;
}
