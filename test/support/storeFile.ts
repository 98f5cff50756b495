import Database from 'better-sqlite3';

/** The columns of `tasks` the durability tests look at. */
export interface StoredTaskRow {
  id: string;
  tenant: string;
  state: string;
  upstream_id: string | null;
  idempotency_key: string | null;
}

/**
 * Every row of a server's SQLite file, read through a separate read-only connection (as an operator would),
 * while the server runs or after it died. Empty when the file or the table does not exist yet.
 */
export function readTaskRows(databaseFile: string): StoredTaskRow[] {
  let db: Database.Database;
  try {
    db = new Database(databaseFile, { readonly: true, fileMustExist: true });
  } catch {
    return [];
  }
  try {
    db.pragma('busy_timeout = 5000');
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'tasks'").get();
    if (!table) return [];
    return db.prepare('SELECT id, tenant, state, upstream_id, idempotency_key FROM tasks').all() as StoredTaskRow[];
  } finally {
    db.close();
  }
}

/** Row counts by state, e.g. { submitted: 3, submitting: 1 }. */
export function countStates(rows: readonly StoredTaskRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.state] = (counts[row.state] ?? 0) + 1;
  return counts;
}
