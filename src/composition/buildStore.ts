import { unitsFromMicro } from '../domain/units';
import { createTaskStore } from '../store';
import type { TaskStore } from '../store/TaskStore';
import { traceStore } from '../tracing/TracedTaskStore';
import type { Foundation } from './Foundation';

/** The task store for DATABASE_URL (SQLite or PostgreSQL), traced when tracing is on. */
export async function buildStore({ config, metrics, tracing }: Foundation): Promise<TaskStore> {
  const store = traceStore(await createTaskStore(config.databaseUrl), tracing?.tracer);
  // Every units charged is counted once, by the instance whose write stored it (src/store/unitsCharged.ts).
  store.onUnitsCharged((record) =>
    metrics.unitsCharged.inc({ tenant: record.tenant }, unitsFromMicro(record.unitsChargedMicro ?? 0)),
  );
  return store;
}
