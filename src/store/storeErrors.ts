/** Failures that mean a caller broke the store's expectations, not that the database is down. */

export class TaskNotFoundError extends Error {
  constructor(readonly taskId: string) {
    super(`no task with id ${taskId}`);
    this.name = 'TaskNotFoundError';
  }
}

/** One upstream task can belong to one local task only; seeing it twice means two records were submitted as one. */
export class UpstreamIdConflictError extends Error {
  constructor(
    readonly taskId: string,
    readonly upstreamId: string,
  ) {
    super(`upstream task ${upstreamId} is already recorded on another task than ${taskId}`);
    this.name = 'UpstreamIdConflictError';
  }
}
