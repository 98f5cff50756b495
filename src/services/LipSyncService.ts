import type { Logger } from 'pino';
import { newRecordId } from '../domain/recordId';
import { effectiveMode, type LipSyncRequest } from '../domain/request';
import { isTerminal, type TaskMode, type TaskRecord, type TaskState } from '../domain/task';
import { GraphQLError } from 'graphql';
import { BadUserInputError, errorFromStored, NotFoundError, UpstreamError, ErrorCode } from '../errors';
import { statusOf } from '../mappers/lipSyncTask';
import type { Metrics } from '../metrics';
import type { PageCursor, TaskStore } from '../store/TaskStore';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../types/CreateLipSyncInput';
import { charLengthProblem } from '../types/validation/rules';
import type { QueueDispatcher } from './QueueDispatcher';
import type { RefreshDebounce } from './RefreshDebounce';
import { requestHash } from './requestHash';
import type { SubmissionReconciler } from './SubmissionReconciler';
import type { TenantCreateLimit } from './TenantCreateLimit';
import { TerminalTaskCache } from './TerminalTaskCache';
import type { TaskSubmitter } from './TaskSubmitter';
import type { TaskUpdateHub } from './TaskUpdateHub';
import type { TaskWatcher } from './TaskWatcher';
import { UpdateStream } from './UpdateStream';
import type { VoiceCatalog } from './VoiceCatalog';

export interface LipSyncServiceOptions {
  store: TaskStore;
  watcher: TaskWatcher;
  submitter: TaskSubmitter;
  dispatcher: QueueDispatcher;
  hub: TaskUpdateHub;
  reconciler: SubmissionReconciler;
  voices: VoiceCatalog;
  log: Logger;
  metrics?: Metrics;
  now: () => number;
  idempotencyTtlMs: number;
  freshnessMs: number;
  /** how long a submitter owns its `submitting` row: past it, others may reconcile the row */
  submitLeaseMs: number;
  /** creates per tenant per minute */
  createLimit: TenantCreateLimit;
  /** one callback-driven refresh per task per window */
  callbackDebounce: RefreshDebounce;
}

export interface CreateResult {
  record: TaskRecord;
  /** non-fatal remarks for the caller (e.g. a voice missing from the catalogue) */
  warnings: string[];
}

export interface ListResult {
  records: TaskRecord[];
  hasNextPage: boolean;
}

/** How often a request waiting on another's submission looks at the store again. */
const SETTLE_POLL_MS = 100;
/** A read of a live task waits at most this long for the upstream, well inside a router's subgraph timeout. */
const READ_REFRESH_BUDGET_MS = 2_000;
/** A subscriber to a QUEUED task hears its position change at most this often. */
const POSITION_EVENT_MS = 1_000;

/**
 * The rules of lip-sync tasks: create (write-ahead intent into the queue, idempotency, at most one upstream task),
 * cancel, get (fresh enough, finished tasks from memory), list, and watch (a stream of changes until the end).
 * Tasks are found by our own id or, for links made before our ids were public, by Kling's task id.
 */
export class LipSyncService {
  private readonly finished = new TerminalTaskCache(10_000);

  constructor(private readonly options: LipSyncServiceOptions) {}

  async create(tenant: string, request: LipSyncRequest, headerKey: string | null = null): Promise<CreateResult> {
    const { store, now, idempotencyTtlMs, submitLeaseMs, submitter, dispatcher } = this.options;
    const mode = effectiveMode(request) as TaskMode; // validation guarantees a mode
    const idempotencyKey = request.idempotencyKey ?? headerKey;
    if (!request.idempotencyKey && headerKey) checkHeaderKey(headerKey);
    // Before anything is written or sent: a refused create leaves nothing behind.
    await this.options.createLimit.take(tenant);
    // Only a key can be replayed, so only a keyed request needs its fingerprint.
    const hash = idempotencyKey ? requestHash(request, mode) : '';
    const at = now();
    const intent = {
      id: newRecordId(at),
      tenant,
      mode,
      requestHash: hash,
      idempotencyKey,
      idempotencyExpiresAt: idempotencyKey ? at + idempotencyTtlMs : null,
      recordedAt: at,
      leaseUntil: at + submitLeaseMs,
      // Every task enters the queue; the dispatch below submits it at once when the cap (and fairness) allow.
      queued: true,
      request: JSON.stringify(request),
    };
    const warnings = this.voiceWarnings(request, mode);
    // From before the row exists: a definite refusal of this task's submission is this caller's error.
    const answered = submitter.awaitedByCreate(intent.id);
    try {
      // masked as INTERNAL_SERVER_ERROR when it fails: nothing was sent upstream
      const inserted = await store.insertIntent(intent, at);
      if (!inserted.created) {
        if (inserted.record.requestHash !== hash) {
          throw new BadUserInputError([
            { field: 'idempotencyKey', message: 'idempotencyKey was already used with a different input' },
          ]);
        }
        return { record: await this.settle(inserted.record, request, mode), warnings };
      }
      await dispatcher.dispatch();
      // Claimed by this process (for this create or another's round): answer with its submission; else QUEUED.
      const submission = submitter.running(intent.id);
      return { record: submission ? await submission : ((await store.getById(intent.id)) ?? inserted.record), warnings };
    } finally {
      answered();
    }
  }

  /**
   * QUEUED → CANCELED, decided by one conditional update, so a dispatcher claiming the task at the same moment
   * either wins (the task is submitted and this answers NOT_CANCELABLE) or loses (it is never sent).
   */
  async cancel(tenant: string, id: string): Promise<TaskRecord> {
    const { store, hub, now } = this.options;
    const record = await this.find(id, tenant);
    if (!record) throw new NotFoundError(`Lip-sync task ${id}`);
    const canceled = await store.cancelQueued(record.id, tenant, now());
    if (canceled) {
      hub.publish(canceled);
      return canceled;
    }
    const current = (await store.getById(record.id, tenant)) ?? record;
    const status = statusOf(current);
    throw new GraphQLError(`Only a QUEUED task can be canceled; this one is ${status} (Kling has no cancel)`, {
      extensions: { code: ErrorCode.BAD_USER_INPUT, reason: 'NOT_CANCELABLE', status },
    });
  }

  /** 1 = next to be submitted; null unless the task is queued. */
  queuePosition(id: string): Promise<number | null> {
    return this.options.dispatcher.positionOf(id);
  }

  /** By our id, else by Kling's task id (links made before our ids were public). */
  private async find(id: string, tenant: string): Promise<TaskRecord | null> {
    const { store } = this.options;
    return (await store.getById(id, tenant)) ?? (await store.getByUpstreamId(id, tenant));
  }

  async get(tenant: string, id: string): Promise<TaskRecord | null> {
    const cached = this.finished.get(id);
    if (cached) return cached.tenant === tenant ? cached : null;
    const record = await this.find(id, tenant);
    if (!record) return null;
    if (isTerminal(record.state)) {
      this.finished.set(record);
      return record;
    }
    // Not at Kling (yet, or ever): nothing to refresh there.
    const upstreamId = record.upstreamId;
    if (upstreamId === null) return record;
    this.options.watcher.track(record);
    if (this.options.now() - record.checkedAt <= this.options.freshnessMs) return record;
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), READ_REFRESH_BUDGET_MS);
    });
    const refresh = this.options.watcher.refresh(upstreamId);
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

  async list(tenant: string, first: number, after: PageCursor | undefined, state: TaskState | undefined): Promise<ListResult> {
    const rows = await this.options.store.list({ tenant, limit: first + 1, after, state });
    return { records: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /**
   * The task now, then every status change, ending after SUCCEEDED or FAILED.
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
      dispatcher.positionOf(queued.id).then((position) => {
        if (last !== queued || position === lastPosition) return;
        lastPosition = position;
        stream.push(queued);
      }, () => undefined);
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

  /**
   * An upstream callback for one of our records (its URL token already checked) is only a hint: the task is
   * fetched again, at most once per task per debounce window, and in the background, so the caller answers at once.
   */
  handleCallback(recordId: string): void {
    if (!this.options.callbackDebounce.claim(recordId)) return;
    this.refreshForCallback(recordId).catch((error: unknown) => {
      this.options.log.warn({ recordId, err: describe(error) }, 'callback refresh failed; the watcher will catch up');
    });
  }

  private async refreshForCallback(recordId: string): Promise<void> {
    const { store, watcher, now, freshnessMs } = this.options;
    const record = await store.getById(recordId);
    if (!record || record.upstreamId === null || isTerminal(record.state)) return;
    // Another instance (or a read) may just have asked: the store's answer is as good.
    if (now() - record.checkedAt <= freshnessMs) return;
    watcher.track(record);
    await watcher.refresh(record.upstreamId);
  }

  /** After a restart: follow every live task again and settle submissions whose answer was lost. */
  async recover(): Promise<void> {
    const { store, watcher, reconciler, log } = this.options;
    const active = await store.listActive();
    for (const record of active) watcher.track(record);
    log.info({ tasks: active.length }, 'following live tasks');
    await reconciler.reconcileOrphans(store.singleProcess).catch((error) => {
      log.warn({ err: describe(error) }, 'could not reconcile lost submissions now; will retry');
    });
  }


  /**
   * The answer for a row another request created with the same key: wait for, replay, resume or reconcile it.
   * A `submitting` row whose first create may have reached Kling is only ever looked up in Kling's list, never
   * submitted again: until the reconciler finds it or declares it never accepted (after its grace period), the
   * retry gets a retryable error.
   */
  private async settle(found: TaskRecord, request: LipSyncRequest, mode: TaskMode): Promise<TaskRecord> {
    const { store, now, submitLeaseMs, reconciler, submitter } = this.options;
    const deadline = now() + submitLeaseMs * 2;
    let record = found;
    for (;;) {
      if (record.state !== 'submitting' && record.state !== 'submit_failed') return record;
      const running = submitter.running(record.id);
      if (running) return running;
      if (record.state === 'submit_failed') {
        const stored = record.submitError;
        if (stored && !stored.retryable) throw errorFromStored(stored);
        if (await store.claimSubmission(record.id, 'submit_failed', now() + submitLeaseMs, now())) {
          // This caller now waits on the retry: its definite refusal is this caller's error again.
          const answered = submitter.awaitedByCreate(record.id);
          try {
            return await submitter.run({ ...record, mode }, request);
          } finally {
            answered();
          }
        }
      } else if (record.leaseUntil < now() && (await store.claimSubmission(record.id, 'submitting', now() + submitLeaseMs, now()))) {
        const resolution = await reconciler.resolve(record).catch(async (error: unknown) => {
          await store.releaseLease(record.id);
          throw error;
        });
        if (resolution.found) return resolution.record;
        if (resolution.record?.state !== 'submit_failed') {
          throw firstAttemptPending(
            'The first request with this idempotencyKey reached the upstream without an answer and is still being ' +
              'confirmed in its task list; retry later with the same key',
            'submission being confirmed',
          );
        }
      }
      if (now() > deadline) {
        throw firstAttemptPending(
          'The first request with this idempotencyKey is still in progress; retry later with the same key',
          'submission in progress',
        );
      }
      await sleep(SETTLE_POLL_MS);
      record = (await store.getById(record.id)) ?? record;
    }
  }

  private voiceWarnings(request: LipSyncRequest, mode: TaskMode): string[] {
    if (mode !== 'TEXT_TO_VIDEO' || !request.voiceId || !request.voiceLanguage) return [];
    if (this.options.voices.has(request.voiceId, request.voiceLanguage)) return [];
    return [
      `voiceId "${request.voiceId}" is not in the catalogue for ${request.voiceLanguage}; ` +
        'the upstream may reject it (see the voices query)',
    ];
  }
}

/** The Idempotency-Key header obeys the input field's rule (CreateLipSyncInput.idempotencyKey). */
function checkHeaderKey(headerKey: string): void {
  const problem = charLengthProblem(headerKey, 1, MAX_IDEMPOTENCY_KEY_LENGTH);
  if (problem) throw new BadUserInputError([{ field: 'idempotencyKey', message: `idempotencyKey (Idempotency-Key header) ${problem}` }]);
}

/** Retryable: a later retry with the same key gets the task once the first attempt is settled. */
function firstAttemptPending(message: string, upstreamMessage: string): UpstreamError {
  return new UpstreamError(ErrorCode.UPSTREAM_TIMEOUT, message, { httpStatus: null, code: null, message: upstreamMessage, requestId: null }, true);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
