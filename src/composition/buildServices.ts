import type { Coordination } from '../coordination';
import type { Services } from '../context';
import type { ArchiveParts } from '../services/archive/buildArchive';
import { AdvancedLipSyncRules } from '../services/AdvancedLipSyncRules';
import { FaceIdentification } from '../services/FaceIdentification';
import { LipSyncService } from '../services/LipSyncService';
import { TenantCreateLimit } from '../services/TenantCreateLimit';
import { TenantUnitBudget } from '../services/TenantUnitBudget';
import { TenantUsage } from '../services/TenantUsage';
import { VoiceCatalog } from '../services/VoiceCatalog';
import type { TaskStore } from '../store/TaskStore';
import type { KlingApi } from '../upstream/KlingApi';
import type { TaskServices } from './buildTaskServices';
import type { Foundation } from './Foundation';
import type { Webhooks } from './buildWebhooks';

/** The services resolvers call (src/context.ts), with the per-tenant limits creates go through. */
export function buildServices(
  { config, now }: Foundation,
  deps: {
    store: TaskStore;
    kling: KlingApi;
    coordination: Coordination;
    tasks: TaskServices;
    webhooks: Webhooks;
    archive: ArchiveParts;
  },
): Services {
  const { store, kling, coordination, tasks, webhooks } = deps;
  const voices = VoiceCatalog.bundled();
  const budget = new TenantUnitBudget({ store, budgets: config.tenantMonthlyUnits, now });
  const createLimit = coordination.redis
    ? TenantCreateLimit.shared(coordination.redis, config.redisKeyPrefix, config.createsPerMinute)
    : TenantCreateLimit.inProcess(config.createsPerMinute);
  return {
    usage: new TenantUsage({ store, now }),
    archive: deps.archive.links,
    voices,
    outboundUrls: config.outboundUrls,
    tasks: tasks.reads,
    faces: new FaceIdentification({ store, kling, now, sessionTtlMs: config.faceSessionTtlMs, createLimit, budget }),
    webhooks: webhooks.deliveries,
    lipSync: new LipSyncService({
      store,
      reads: tasks.reads,
      submitter: tasks.submitter,
      dispatcher: tasks.dispatcher,
      hub: coordination.hub,
      reconciler: tasks.reconciler,
      voices,
      now,
      idempotencyTtlMs: config.idempotencyTtlMs,
      submitLeaseMs: tasks.submitLeaseMs,
      createLimit,
      advancedRules: new AdvancedLipSyncRules({ store, now }),
      budget,
      webhooksEnabled: webhooks.secrets.enabled,
    }),
  };
}
