import type { RequestContext } from '../context';
import { toLipSyncTask } from '../mappers/lipSyncTask';
import type { LipSyncTask } from '../types/LipSyncTask';

/** Federation entity resolver: the same data path (and tenant rule) as the lipSyncTask query. */
export async function resolveLipSyncTaskReference(
  reference: { id: string },
  context: RequestContext,
): Promise<LipSyncTask | null> {
  const record = await context.services.tasks.get(context.tenant, reference.id);
  return record && toLipSyncTask(record);
}
