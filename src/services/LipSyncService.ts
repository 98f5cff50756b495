import { GraphQLError } from 'graphql';
import { storedRequest, type AdvancedLipSyncRequest, type TaskRequest } from '../domain/advancedRequest';
import { newRecordId } from '../domain/recordId';
import { effectiveMode, type LipSyncRequest } from '../domain/request';
import type { FaceInfo, TaskMode, TaskRecord } from '../domain/task';
import { BadUserInputError, errorFromStored, NotFoundError, UpstreamError, ErrorCode } from '../errors';
import { statusOf } from '../mappers/lipSyncTask';
import { normalizedUrl } from '../domain/outboundUrl';
import { webhooksDisabled } from './webhooks/WebhookDeliveries';
import type { TaskStore } from '../store/TaskStore';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../types/CreateLipSyncInput';
import { charLengthProblem } from '../types/validation/rules';
import type { QueueDispatcher } from './QueueDispatcher';
import type { AdvancedLipSyncRules } from './AdvancedLipSyncRules';
import { advancedRequestHash, requestHash } from './requestHash';
import type { SubmissionReconciler } from './SubmissionReconciler';
import type { TaskReads } from './TaskReads';
import type { TaskSubmitter } from './TaskSubmitter';
import type { TaskUpdateHub } from './TaskUpdateHub';
import type { TenantCreateLimit } from './TenantCreateLimit';
import type { TenantUnitBudget } from './TenantUnitBudget';
import type { VoiceCatalog } from './VoiceCatalog';

export interface LipSyncServiceOptions {
  store: TaskStore;
  reads: TaskReads;
  submitter: TaskSubmitter;
  dispatcher: QueueDispatcher;
  hub: TaskUpdateHub;
  reconciler: SubmissionReconciler;
  voices: VoiceCatalog;
  now: () => number;
  idempotencyTtlMs: number;
  /** how long a submitter owns its `submitting` row: past it, others may reconcile the row */
  submitLeaseMs: number;
  /** creates per tenant per minute */
  createLimit: TenantCreateLimit;
  /** the advanced input's rules that need the stored face session */
  advancedRules: AdvancedLipSyncRules;
  /** TENANT_MONTHLY_UNITS */
  budget: TenantUnitBudget;
  /** false in production without WEBHOOK_SECRET: a callbackUrl is refused, as nothing could be signed (default true) */
  webhooksEnabled?: boolean;
}

/** What a create writes besides the common columns: its kind's own fields and its fingerprint. */
interface Acceptance {
  task: TaskRequest;
  mode: TaskMode | null;
  face: FaceInfo | null;
  /** the fingerprint of the normalised input (computed only for keyed creates) */
  hash: () => string;
  warnings: string[];
}

export interface CreateResult {
  record: TaskRecord;
  /** non-fatal remarks for the caller (e.g. a voice missing from the catalogue) */
  warnings: string[];
}

/** How often a request waiting on another's submission looks at the store again. */
const SETTLE_POLL_MS = 100;

/**
 * Accepting tasks: create (write-ahead row into the queue, idempotency, at most one upstream task; submitted at
 * once when a slot is free) and cancel. Reads live in src/services/TaskReads.ts, sending in TaskSubmitter.ts,
 * the queue in QueueDispatcher.ts.
 */
export class LipSyncService {
  constructor(private readonly options: LipSyncServiceOptions) {}

  async create(tenant: string, request: LipSyncRequest, headerKey: string | null = null): Promise<CreateResult> {
    const mode = effectiveMode(request) as TaskMode; // validation guarantees a mode
    if (!request.idempotencyKey && headerKey) checkHeaderKey(headerKey);
    return this.accept(tenant, request.idempotencyKey ?? headerKey, {
      task: { kind: 'STANDARD', request },
      mode,
      face: null,
      hash: () => requestHash(request, mode),
      warnings: this.voiceWarnings(request, mode),
    });
  }

  /**
   * The same lifecycle for an advanced task (docs/kling.md, "Advanced lip-sync"): the session-dependent rules run
   * first (src/services/AdvancedLipSyncRules.ts), so an input Kling would refuse is rejected before anything is
   * written or sent.
   */
  async createAdvanced(
    tenant: string,
    request: AdvancedLipSyncRequest,
    headerKey: string | null = null,
  ): Promise<CreateResult> {
    if (!request.idempotencyKey && headerKey) checkHeaderKey(headerKey);
    const [face] = await this.options.advancedRules.check(tenant, request);
    return this.accept(tenant, request.idempotencyKey ?? headerKey, {
      task: { kind: 'ADVANCED', request },
      mode: null,
      face,
      hash: () => advancedRequestHash(request),
      warnings: [],
    });
  }

  /** Write-ahead into the queue, idempotency, at most one upstream task: the same for every kind. */
  private async accept(tenant: string, idempotencyKey: string | null, acceptance: Acceptance): Promise<CreateResult> {
    const { store, now, idempotencyTtlMs, submitLeaseMs, submitter, dispatcher } = this.options;
    const { task, mode, face, warnings } = acceptance;
    const callbackUrl = task.request.callbackUrl ?? null;
    if (callbackUrl && this.options.webhooksEnabled === false) throw webhooksDisabled('callbackUrl');
    // Before anything is written or sent: a refused create leaves nothing behind (the budget is checked below, in
    // turn with the tenant's other creates, right before the row is written).
    await this.options.createLimit.take(tenant);
    // Only a key can be replayed, so only a keyed request needs its fingerprint.
    const hash = idempotencyKey ? acceptance.hash() : '';
    const at = now();
    const intent = {
      id: newRecordId(at),
      tenant,
      mode,
      kind: task.kind,
      face,
      requestHash: hash,
      idempotencyKey,
      idempotencyExpiresAt: idempotencyKey ? at + idempotencyTtlMs : null,
      recordedAt: at,
      leaseUntil: at + submitLeaseMs,
      // Every task enters the queue; the dispatch below submits it at once when the cap (and fairness) allow.
      queued: true,
      request: storedRequest(task),
      // Written with the intent: the webhook target outlives the create input (dropped once Kling has the task).
      callbackUrl: callbackUrl ? normalizedUrl(callbackUrl) : null,
    };
    // From before the row exists: a definite refusal of this task's submission is this caller's error.
    const answered = submitter.awaitedByCreate(intent.id);
    try {
      // QUOTA_EXCEEDED before anything is written; a failed write is masked as INTERNAL_SERVER_ERROR: nothing was sent
      const inserted = await this.options.budget.withRoom(tenant, idempotencyKey, () => dispatcher.insert(intent, at));
      if (!inserted.created) {
        if (inserted.record.requestHash !== hash) {
          throw new BadUserInputError([
            { field: 'idempotencyKey', message: 'idempotencyKey was already used with a different input' },
          ]);
        }
        return { record: await this.settle(inserted.record, task), warnings };
      }
      // Claimed at insert (queue empty, a slot free): this create submits it, as a dispatcher round would.
      if (inserted.claimed) return { record: await submitter.run(inserted.record, task), warnings };
      await dispatcher.dispatch();
      // Claimed by this process (for this create or another's round): answer with its submission; else QUEUED.
      const submission = submitter.running(intent.id);
      return {
        record: submission ? await submission : ((await store.getById(intent.id)) ?? inserted.record),
        warnings,
      };
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
    const record = await this.options.reads.find(id, tenant);
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

  /**
   * The answer for a row another request created with the same key: wait for, replay, resume or reconcile it.
   * A `submitting` row whose first create may have reached Kling is only ever looked up in Kling's list, never
   * submitted again: until the reconciler finds it or declares it never accepted (after its grace period), the
   * retry gets a retryable error.
   */
  private async settle(found: TaskRecord, task: TaskRequest): Promise<TaskRecord> {
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
            return await submitter.run(record, task);
          } finally {
            answered();
          }
        }
      } else if (
        record.leaseUntil < now() &&
        (await store.claimSubmission(record.id, 'submitting', now() + submitLeaseMs, now()))
      ) {
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
  if (problem)
    throw new BadUserInputError([
      { field: 'idempotencyKey', message: `idempotencyKey (Idempotency-Key header) ${problem}` },
    ]);
}

/** Retryable: a later retry with the same key gets the task once the first attempt is settled. */
function firstAttemptPending(message: string, upstreamMessage: string): UpstreamError {
  return new UpstreamError(
    ErrorCode.UPSTREAM_TIMEOUT,
    message,
    { httpStatus: null, code: null, message: upstreamMessage, requestId: null },
    true,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
