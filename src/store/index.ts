import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeOpenProblem } from './describeOpenProblem';
import { IN_MEMORY, SqliteTaskStore } from './SqliteTaskStore';
import { StoreOpenError } from './StoreOpenError';
import type { TaskStore } from './TaskStore';

export type { IntentResult, ListQuery, PageCursor, SnapshotResult, TaskStore } from './TaskStore';
export { StoreOpenError } from './StoreOpenError';
export { TaskNotFoundError, UpstreamIdConflictError } from './storeErrors';

/**
 * Opens and migrates the store DATABASE_URL names: `file:<path>` (relative to the working directory),
 * `file::memory:`, or `postgres://…`. Any failure becomes one StoreOpenError line for the operator.
 */
export async function createTaskStore(databaseUrl: string): Promise<TaskStore> {
  let store: TaskStore | undefined;
  try {
    store = databaseUrl.startsWith('file:')
      ? new SqliteTaskStore(sqlitePath(databaseUrl))
      : new (postgresStore())(databaseUrl);
    await store.migrate();
    return store;
  } catch (error) {
    await store?.close().catch(() => undefined);
    throw new StoreOpenError(databaseUrl, describeOpenProblem(error));
  }
}

/**
 * Loaded only when asked for: with `pg`, an embedded instance's idle memory is higher by about a tenth (bench B5).
 * A require, not import(): Jest runs this CommonJS build without ESM support.
 */
function postgresStore(): typeof import('./PostgresTaskStore.js').PostgresTaskStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./PostgresTaskStore') as typeof import('./PostgresTaskStore.js')).PostgresTaskStore;
}

function sqlitePath(databaseUrl: string): string {
  if (databaseUrl.startsWith('file://')) return fileURLToPath(databaseUrl);
  const location = databaseUrl.slice('file:'.length);
  return location === IN_MEMORY ? IN_MEMORY : path.resolve(process.cwd(), location);
}
