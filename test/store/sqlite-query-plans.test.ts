import Database from 'better-sqlite3';
import { archiveSqlFor } from '../../src/store/archive/archiveSql';
import { FACE_SESSION_SQL } from '../../src/store/faceSessionSql';
import { SqliteTaskStore } from '../../src/store/SqliteTaskStore';
import { TASK_SQL } from '../../src/store/taskSql';
import { WEBHOOK_SQL } from '../../src/store/webhookOutboxSql';
import { useTempDir } from '../support/storeTempDir';

/**
 * Every statement of the embedded store reaches its rows through an index: none reads a whole stored table, whose
 * cost would grow with the history (a count of live tasks that scanned every row ran on each dispatcher tick and
 * stalled an idle instance with a million stored tasks for most of each second, bench B8).
 */
const WHOLE_TABLE_BY_DESIGN: ReadonlySet<string> = new Set([
  // the `lipsync_tasks_total` count, on the store's background worker thread (src/store/sqliteBackgroundWorker.ts)
  'countByState',
]);

const STATEMENTS: Record<string, string> = {
  ...TASK_SQL,
  ...WEBHOOK_SQL,
  ...prefixed('archive.', archiveSqlFor('sqlite')),
  ...prefixed('face.', FACE_SESSION_SQL),
};

function prefixed(prefix: string, sql: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(sql).map(([name, text]) => [`${prefix}${name}`, text]));
}

describe('the SQLite store’s query plans', () => {
  const temp = useTempDir();
  let db: Database.Database;
  let tables: string[];

  beforeAll(async () => {
    const file = temp.path('plans.db');
    const store = new SqliteTaskStore(file);
    await store.migrate();
    await store.close();
    db = new Database(file, { readonly: true });
    tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[];
  });
  afterAll(() => db?.close());

  it.each(Object.keys(STATEMENTS).filter((name) => !WHOLE_TABLE_BY_DESIGN.has(name)))(
    '%s reads no stored table whole',
    (name) => {
      const sql = STATEMENTS[name];
      const params = Object.fromEntries([...sql.matchAll(/[:@$](\w+)/g)].map(([, param]) => [param, null]));
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail);
      const wholeScans = plan.filter((step) => {
        const scanned = /^SCAN (\w+)$/.exec(step)?.[1];
        return scanned !== undefined && tables.includes(scanned);
      });
      expect({ name, wholeScans }).toEqual({ name, wholeScans: [] });
    },
  );
});
