import type { TaskKind } from '../domain/task';
import type { KlingApi } from '../upstream/KlingApi';
import type { KlingTaskData } from '../upstream/kling.types';
import type { RateLimiter } from '../upstream/RateLimiter';

/** A followed task whose poll is due, and where it sits in the list (Kling orders it by creation, newest first). */
export interface DueTask {
  upstreamId: string;
  /** epoch ms, the upstream's own creation time */
  createdAt: number;
}

export interface ListedTask {
  task: KlingTaskData;
  /** the list answer's request_id */
  requestId: string | null;
}

export interface SweepResult {
  /** every followed task met on the pages read, by Kling's task id (the first sighting when paging repeated it) */
  found: Map<string, ListedTask>;
  pages: number;
  /** why the walk stopped early, if a page failed: what was found before it still stands */
  failure?: unknown;
}

/** Kling's largest page and last page number (docs/kling.md, "Endpoints"). */
export const LIST_PAGE_SIZE = 500;
const LAST_PAGE = 1000;
/**
 * A full page costs about as much server CPU as eight single GETs (one request, ~500 entries to parse and
 * check): with fewer followed tasks than this the watcher GETs them one by one, and the sweep goes one page
 * deeper only while at least this many due tasks may lie below, or the page just read held this many followed tasks.
 */
export const MIN_TASKS_PER_PAGE = 8;
/** Tasks created within this of a page's oldest entry may still be on the next one (equal timestamps, paging). */
const ORDER_MARGIN_MS = 1_000;

/**
 * One walk down Kling's task list of one endpoint family (`kind`), newest first, that answers for many followed tasks at once: a list entry
 * passed the same boundary checks as a single GET's answer (src/upstream/klingAnswers.ts, readKlingTaskList),
 * so it is as good an answer. The walk stops at the end of the list, when every due task was met, or when
 * what is left below is not worth a page; due tasks not met (older than the pages read, not yet listed —
 * Kling's list can lag its create — or left out as unreadable) are the caller's to GET one by one.
 * Each page takes a token from `pacer` and, inside the client, from the shared upstream rate limiter: a page
 * counts as one upstream request.
 */
export async function sweepTaskList(
  kling: KlingApi,
  kind: TaskKind,
  due: readonly DueTask[],
  followed: (upstreamId: string) => boolean,
  pacer?: RateLimiter,
): Promise<SweepResult> {
  const found = new Map<string, ListedTask>();
  const missing = new Map(due.map((task) => [task.upstreamId, task.createdAt]));
  let pages = 0;
  for (let page = 1; page <= LAST_PAGE && missing.size > 0; page++) {
    let answer;
    try {
      await pacer?.acquire();
      answer = await kling.listLipSync(page, LIST_PAGE_SIZE, kind);
    } catch (failure) {
      return { found, pages, failure };
    }
    pages = page;
    let followedHere = 0;
    let oldest = Infinity;
    for (const task of answer.data) {
      const createdAt = Number(task.created_at);
      if (Number.isFinite(createdAt) && createdAt < oldest) oldest = createdAt;
      const id = task.task_id;
      if (found.has(id) || !followed(id)) continue;
      found.set(id, { task, requestId: answer.requestId });
      missing.delete(id);
      followedHere++;
    }
    if (answer.data.length + (answer.unreadable ?? 0) < LIST_PAGE_SIZE) break; // the end of the list
    let below = 0;
    for (const createdAt of missing.values()) if (createdAt <= oldest + ORDER_MARGIN_MS) below++;
    if (below === 0 || (below < MIN_TASKS_PER_PAGE && followedHere < MIN_TASKS_PER_PAGE)) break;
  }
  return { found, pages };
}
