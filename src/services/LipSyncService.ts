import type { Logger } from 'pino';
import { newRecordId } from '../domain/recordId';
import { effectiveMode, type LipSyncRequest } from '../domain/request';
import { isTerminal, type TaskMode, type TaskRecord, type TaskState } from '../domain/task';
import { BadUserInputError, errorFromStored, NotFoundError, RateLimitedError, UpstreamError, ErrorCode } from '../errors';
import { fromKlingTask } from '../mappers/klingTask';
import { toKlingCreateBody } from '../mappers/klingRequest';
import type { Metrics } from '../metrics';
import type { PageCursor, TaskStore } from '../store/TaskStore';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../types/CreateLipSyncInput';
import { charLengthProblem } from '../types/validation/rules';
import type { KlingApi } from '../upstream/KlingApi';
import type { CallbackUrls } from './CallbackUrls';
import type { RefreshDebounce } from './RefreshDebounce';
import { requestHash } from './requestHash';
import type { SubmissionReconciler } from './SubmissionReconciler';
import type { TenantCreateLimit } from './TenantCreateLimit';
import { TerminalTaskCache } from './TerminalTaskCache';
import type { TaskUpdateHub } from './TaskUpdateHub';
import type { TaskWatcher } from './TaskWatcher';
import { UpdateStream } from './UpdateStream';
import type { VoiceCatalog } from './VoiceCatalog';

export interface LipSyncServiceOptions {
  store: TaskStore;
  kling: KlingApi;
  watcher: TaskWatcher;
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
  /** this server's per-task callback receiver (null without PUBLIC_URL: no callbacks, polling only) */
  callbackUrls: CallbackUrls | null;
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

/**
 * The rules of lip-sync tasks: create (write-ahead intent, idempotency, one upstream call), get (fresh
 * enough, finished tasks from memory), list, and watch (a stream of status changes until the end).
 */
export class LipSyncService {
  /** submissions running in this process, by record id, so concurrent retries share one upstream call */
  private readonly submissions = new Map<string, Promise<TaskRecord>>();
  private readonly finished = new TerminalTaskCache(10_000);

  constructor(private readonly options: LipSyncServiceOptions) {}

  async create(tenant: string, request: LipSyncRequest, headerKey: string | null = null): Promise<CreateResult> {
    const { store, now, idempotencyTtlMs, submitLeaseMs } = this.options;
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
    };
    const warnings = this.voiceWarnings(request, mode);
    // Registered before the row exists, so a concurrent retry that finds the row also finds this submission.
    let started!: (record: TaskRecord) => void;
    const submission = this.runSubmission(intent.id, new Promise<TaskRecord>((resolve) => (started = resolve)), request, mode);
    const inserted = await store.insertIntent(intent, at).catch((error: unknown) => {
      this.submissions.delete(intent.id);
      throw error; // masked as INTERNAL_SERVER_ERROR: nothing was sent upstream
    });
    if (!inserted.created) {
      this.submissions.delete(intent.id);
      if (inserted.record.requestHash !== hash) {
        throw new BadUserInputError([
          { field: 'idempotencyKey', message: 'idempotencyKey was already used with a different input' },
        ]);
      }
      return { record: await this.settle(inserted.record, request, mode), warnings };
    }
    started(inserted.record);
    return { record: await submission, warnings };
  }

  async get(tenant: string, upstreamId: string): Promise<TaskRecord | null> {
    const cached = this.finished.get(upstreamId);
    if (cached) return cached.tenant === tenant ? cached : null;
    const record = await this.options.store.getByUpstreamId(upstreamId, tenant);
    if (!record) return null;
    if (isTerminal(record.state)) {
      this.finished.set(record);
      return record;
    }
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
  async watch(tenant: string, upstreamId: string): Promise<AsyncIterableIterator<TaskRecord>> {
    const { hub, store, watcher, metrics } = this.options;
    let lastState: TaskState | null = null;
    const stream = new UpdateStream<TaskRecord>(() => {
      unsubscribe();
      metrics?.subscriptionsActive.dec();
    });
    const emit = (record: TaskRecord) => {
      if (record.tenant !== tenant || record.state === lastState) return;
      lastState = record.state;
      stream.push(record);
      if (isTerminal(record.state)) stream.end();
    };
    // Subscribe before reading, so a change landing in between is not missed (the store is written first).
    const unsubscribe = hub.subscribe(upstreamId, emit);
    metrics?.subscriptionsActive.inc();
    try {
      const record = await store.getByUpstreamId(upstreamId, tenant);
      if (!record) throw new NotFoundError(`Lip-sync task ${upstreamId}`);
      emit(record);
      watcher.track(record);
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

  /** Runs one upstream submission of a row, visible to concurrent retries until it ends. */
  private runSubmission(id: string, ready: Promise<TaskRecord>, request: LipSyncRequest, mode: TaskMode): Promise<TaskRecord> {
    const submission = ready
      .then((record) => this.submit(record, request, mode))
      .finally(() => this.submissions.delete(id));
    submission.catch(() => undefined); // waiters and the creator handle the error; never an unhandled rejection
    this.submissions.set(id, submission);
    return submission;
  }

  private async submit(record: TaskRecord, request: LipSyncRequest, mode: TaskMode): Promise<TaskRecord> {
    const { kling, store, watcher, now, log, callbackUrls } = this.options;
    const body = toKlingCreateBody(request, mode, record.id, callbackUrls?.urlFor(record.id) ?? null);
    let answer;
    try {
      answer = await kling.createLipSync(body);
    } catch (error) {
      await this.recordFailedSubmission(record, error);
      throw error;
    }
    const accepted = await store.markAccepted(record.id, fromKlingTask(answer.data), answer.requestId, now());
    // debug: the operation's own log line already carries the upstream request id
    log.debug({ taskId: accepted.upstreamId, recordId: record.id, upstreamRequestId: answer.requestId }, 'task submitted');
    watcher.track(accepted);
    return accepted;
  }

  private async recordFailedSubmission(record: TaskRecord, error: unknown): Promise<void> {
    const { store, now, log } = this.options;
    try {
      if (error instanceof UpstreamError && !error.outcomeUnknown) {
        await store.markSubmitFailed(record.id, error.toStored(), now());
      } else if (error instanceof RateLimitedError) {
        // Refused by our own upstream limiter: nothing was sent, so the row is a definite, retryable failure.
        await store.markSubmitFailed(record.id, { code: ErrorCode.RATE_LIMITED, message: error.message, retryable: true }, now());
      } else {
        // The upstream may have the task: leave the row `submitting` for reconciliation, free to claim now.
        await store.releaseLease(record.id);
      }
    } catch (storeError) {
      log.error({ recordId: record.id, err: describe(storeError) }, 'could not record a failed submission');
    }
  }

  /**
   * The answer for a row another request created with the same key: wait for, replay, resume or reconcile it.
   * A `submitting` row whose first create may have reached Kling is only ever looked up in Kling's list, never
   * submitted again: until the reconciler finds it or declares it never accepted (after its grace period), the
   * retry gets a retryable error.
   */
  private async settle(found: TaskRecord, request: LipSyncRequest, mode: TaskMode): Promise<TaskRecord> {
    const { store, now, submitLeaseMs, reconciler } = this.options;
    const deadline = now() + submitLeaseMs * 2;
    let record = found;
    for (;;) {
      if (record.upstreamId !== null && record.state !== 'submitting' && record.state !== 'submit_failed') return record;
      const running = this.submissions.get(record.id);
      if (running) return running;
      if (record.state === 'submit_failed') {
        const stored = record.submitError;
        if (stored && !stored.retryable) throw errorFromStored(stored);
        if (await store.claimSubmission(record.id, 'submit_failed', now() + submitLeaseMs, now())) {
          return this.runSubmission(record.id, Promise.resolve(record), request, mode);
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
