import type { KlingTaskData, KlingTaskStatus } from './kling.types';

/**
 * The guard every task Kling sends passes before anything uses it (docs/kling.md, "Answer envelope").
 * It checks what the server relies on — an id it can store and a status it can read — and tolerates what
 * Kling may leave out. The status is only required to be a string: an undocumented one is news the mapper
 * declines to apply, not a broken answer, because Kling has accepted (and bills) that task.
 */
export type TaskReading = { task: KlingTaskData } | { problem: string };

const DOCUMENTED_STATUSES: ReadonlySet<string> = new Set<KlingTaskStatus>([
  'submitted',
  'processing',
  'succeed',
  'failed',
]);

export function isKnownTaskStatus(status: string): status is KlingTaskStatus {
  return DOCUMENTED_STATUSES.has(status);
}

/** Kling's ids are 18-digit strings; anything that could not be put in a URL path or a column as-is is refused. */
const TASK_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function readKlingTask(value: unknown): TaskReading {
  if (!isObject(value)) return { problem: 'the task is not an object' };
  // A number here has already lost precision in JSON.parse: it would name another task.
  if (typeof value.task_id !== 'string' || !TASK_ID.test(value.task_id))
    return { problem: 'task_id is not an id string' };
  if (typeof value.task_status !== 'string') return { problem: 'task_status is not a string' };
  if (value.task_info !== undefined && value.task_info !== null) {
    if (!isObject(value.task_info)) return { problem: 'task_info is not an object' };
    const external = value.task_info.external_task_id;
    if (external !== undefined && external !== null && typeof external !== 'string')
      return { problem: 'external_task_id is not a string' };
    if (!isOptionalObject(value.task_info.parent_video)) return { problem: 'parent_video is not an object' };
  }
  if (value.task_result !== undefined && value.task_result !== null) {
    if (!isObject(value.task_result)) return { problem: 'task_result is not an object' };
    const videos = value.task_result.videos;
    if (videos !== undefined && videos !== null && !(Array.isArray(videos) && videos.every(isObject))) {
      return { problem: 'task_result.videos is not a list of objects' };
    }
  }
  return { task: value as unknown as KlingTaskData };
}

export interface TaskListReading {
  tasks: KlingTaskData[];
  /** entries that could not be trusted, each with why */
  problems: string[];
}

/**
 * A list page, task by task: one bad entry never spoils the others. Two entries with one task_id but different
 * external ids cannot both be true, so neither is kept.
 */
export function readKlingTaskList(value: unknown): TaskListReading | null {
  if (!Array.isArray(value)) return null;
  const tasks: KlingTaskData[] = [];
  const problems: string[] = [];
  const externalById = new Map<string, string | undefined>();
  const contradicted = new Set<string>();
  for (const entry of value) {
    const reading = readKlingTask(entry);
    if ('problem' in reading) {
      problems.push(reading.problem);
      continue;
    }
    const { task_id: id, task_info: info } = reading.task;
    const external = info?.external_task_id ?? undefined;
    if (externalById.has(id) && externalById.get(id) !== external) contradicted.add(id);
    externalById.set(id, external);
    tasks.push(reading.task);
  }
  if (contradicted.size === 0) return { tasks, problems };
  const kept = tasks.filter((task) => !contradicted.has(task.task_id));
  for (const task of tasks)
    if (contradicted.has(task.task_id)) problems.push(`task_id ${task.task_id} is named by two different tasks`);
  return { tasks: kept, problems };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOptionalObject(value: unknown): boolean {
  return value === undefined || value === null || isObject(value);
}
