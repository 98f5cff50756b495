import type { Logger } from 'pino';
import type { TaskKind, TaskRecord, TaskSnapshot } from '../domain/task';
import { ErrorCode } from '../errors';
import { fromKlingTask } from '../mappers/klingTask';
import type { TaskStore } from '../store/TaskStore';
import type { KlingApi } from '../upstream/KlingApi';
import type { TaskWatcher } from './TaskWatcher';

export interface ReconcilerOptions {
  store: TaskStore;
  kling: KlingApi;
  watcher: TaskWatcher;
  log: Logger;
  now: () => number;
  /** how long a claim on a row lasts while it is being reconciled */
  leaseMs: number;
  /**
   * how long after a submission began (the row's `updatedAt`) Kling's list is given to show the task: a miss
   * before then means "not listed yet", and the row stays `submitting`
   */
  graceMs: number;
  pageSize?: number;
  maxPages?: number;
  /** the upstream's clock and ours may differ; search this much further back */
  clockSkewMs?: number;
}

interface Match {
  snapshot: TaskSnapshot;
  requestId: string | null;
}

/** Not found: `record` is the row now, `submit_failed` when it was never accepted, still `submitting` when undecided. */
export type Resolution = { found: true; record: TaskRecord } | { found: false; record: TaskRecord | null };

/**
 * Misses, by searches begun after the grace period, before a row counts as never accepted: one list answer
 * that lacks a task (a lagging replica, a page that shifted under us) is not enough to risk a second paid task.
 */
const MISSES_FOR_NEVER_ACCEPTED = 3;

/**
 * Settles `submitting` rows whose answer was lost (a crash, a timeout) by finding them in the upstream's
 * task list by `external_task_id` — never by creating again. Kling lists a task some time after accepting it,
 * so a miss means "never accepted" only once the grace period has passed since the submission began, and only
 * after several such searches, each back past the row's creation; then the row becomes `submit_failed` (safe to
 * submit again). Until then, and whenever the upstream cannot be asked, rows stay `submitting` for the next round.
 */
export class SubmissionReconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** per row id, searches begun after its grace period that missed it (a restart starts the count over) */
  private readonly misses = new Map<string, number>();

  constructor(private readonly options: ReconcilerOptions) {}

  /** Reconciles every orphaned row now; `ignoreLeases` at start-up of a single-process store (nobody else can own them). */
  reconcileOrphans(ignoreLeases = false): Promise<void> {
    if (!this.running) {
      this.running = this.reconcileRound(ignoreLeases).finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /** Checks orphans every `intervalMs` until stopped. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.reconcileOrphans().catch((error) =>
        this.options.log.warn({ err: String(error) }, 'reconciliation round failed'),
      );
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /**
   * Settles one row the caller has claimed. Throws an UpstreamError when the upstream cannot be asked.
   */
  async resolve(record: TaskRecord): Promise<Resolution> {
    const [resolution] = await this.resolveClaimed([record]);
    return resolution;
  }

  private async reconcileRound(ignoreLeases: boolean): Promise<void> {
    const { store, now, leaseMs, log } = this.options;
    const rows = await store.listSubmitting();
    // Rows settled elsewhere (another instance, a keyed retry) need no count any more.
    const live = new Set(rows.map((row) => row.id));
    for (const id of this.misses.keys()) if (!live.has(id)) this.misses.delete(id);
    const claimed: TaskRecord[] = [];
    for (const row of rows) {
      const takeover = ignoreLeases ? { ...row, leaseUntil: 0 } : row;
      if (takeover.leaseUntil >= now()) continue;
      if (ignoreLeases) await store.releaseLease(row.id);
      if (await store.claimSubmission(row.id, 'submitting', now() + leaseMs, now())) claimed.push(row);
    }
    if (claimed.length === 0) return;
    log.info({ rows: claimed.length }, 'reconciling submissions whose upstream answer was lost');
    try {
      const results = await this.resolveClaimed(claimed);
      const found = results.filter((r) => r.found).length;
      const neverAccepted = results.filter((r) => !r.found && r.record?.state === 'submit_failed').length;
      log.info({ found, neverAccepted, undecided: results.length - found - neverAccepted }, 'reconciliation done');
    } catch (error) {
      for (const row of claimed) await store.releaseLease(row.id);
      throw error;
    }
  }

  private async resolveClaimed(records: TaskRecord[]): Promise<Resolution[]> {
    const { store, watcher, now } = this.options;
    const searchedAt = now();
    const { matches, complete } = await this.searchEveryFamily(records);
    const resolutions: Resolution[] = [];
    for (const record of records) {
      const match = matches.get(record.id);
      if (match) {
        this.misses.delete(record.id);
        const accepted = await store.markAccepted(record.id, match.snapshot, match.requestId, now());
        watcher.track(accepted);
        resolutions.push({ found: true, record: accepted });
      } else if (!complete || !this.missedForGood(record, searchedAt)) {
        // Not listed (yet), or the list was too long to search back far enough: we cannot tell, so the row
        // stays `submitting` and waits for the next round.
        await store.releaseLease(record.id);
        resolutions.push({ found: false, record: await store.getById(record.id) });
      } else {
        this.misses.delete(record.id);
        const failed = await store.markSubmitFailed(
          record.id,
          {
            code: ErrorCode.UPSTREAM_UNAVAILABLE,
            message: 'The upstream never accepted this task (it is not in its task list); it is safe to submit again',
            retryable: true,
          },
          now(),
        );
        resolutions.push({ found: false, record: failed });
      }
    }
    return resolutions;
  }

  /** Counts a complete search that missed the row; true once enough of them began after its grace period. */
  private missedForGood(record: TaskRecord, searchedAt: number): boolean {
    if (searchedAt - record.updatedAt < this.options.graceMs) return false;
    const misses = (this.misses.get(record.id) ?? 0) + 1;
    this.misses.set(record.id, misses);
    return misses >= MISSES_FOR_NEVER_ACCEPTED;
  }

  /** Each record is looked for in the list of its own kind's endpoint family (docs/kling.md, "Advanced lip-sync"). */
  private async searchEveryFamily(records: TaskRecord[]): Promise<{ matches: Map<string, Match>; complete: boolean }> {
    const matches = new Map<string, Match>();
    let complete = true;
    for (const kind of ['STANDARD', 'ADVANCED'] as const) {
      const ofKind = records.filter((record) => record.kind === kind);
      if (ofKind.length === 0) continue;
      const found = await this.searchUpstream(ofKind, kind);
      for (const [id, match] of found.matches) matches.set(id, match);
      complete &&= found.complete;
    }
    return { matches, complete };
  }

  /** Walks the upstream list, newest first, until every record is found or the list is older than all of them. */
  private async searchUpstream(
    records: TaskRecord[],
    kind: TaskKind,
  ): Promise<{ matches: Map<string, Match>; complete: boolean }> {
    const { kling, pageSize = 100, maxPages = 100, clockSkewMs = 5 * 60_000 } = this.options;
    const wanted = new Set(records.map((r) => r.id));
    const oldest = Math.min(...records.map((r) => r.recordedAt)) - clockSkewMs;
    const found = new Map<string, Match>();
    let trusted = true;
    for (let page = 1; page <= maxPages; page++) {
      const answer = await kling.listLipSync(page, pageSize, kind);
      // A task the client had to leave out could be one we look for: its absence then proves nothing.
      if (answer.unreadable) trusted = false;
      for (const task of answer.data) {
        const snapshot = fromKlingTask(task);
        if (snapshot.externalTaskId && wanted.has(snapshot.externalTaskId)) {
          found.set(snapshot.externalTaskId, { snapshot, requestId: answer.requestId });
        }
      }
      if (found.size === wanted.size) return { matches: found, complete: true };
      const pageOldest = Math.min(...answer.data.map((t) => Number(t.created_at) || Infinity));
      const pageLength = answer.data.length + (answer.unreadable ?? 0);
      if (pageLength < pageSize || pageOldest < oldest) return { matches: found, complete: trusted };
    }
    return { matches: found, complete: false };
  }
}
