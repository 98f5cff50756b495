import type { CacheHint } from '@apollo/cache-control-types';
import type { OutboundUrlPolicy } from './domain/outboundUrl';
import type { FaceIdentification } from './services/FaceIdentification';
import type { ArchiveLinks } from './services/archive/ArchiveLinks';
import type { LipSyncService } from './services/LipSyncService';
import type { TaskReads } from './services/TaskReads';
import type { TenantUsage } from './services/TenantUsage';
import type { VoiceCatalog } from './services/VoiceCatalog';
import type { WebhookDeliveries } from './services/webhooks/WebhookDeliveries';

export interface Services {
  lipSync: LipSyncService;
  /** get, list, watch and queue positions */
  tasks: TaskReads;
  voices: VoiceCatalog;
  /** which URLs clients may give (media, callbacks); read by the input rules */
  outboundUrls: OutboundUrlPolicy;
  /** identifyFaces: face sessions for advanced lip-sync */
  faces: FaceIdentification;
  /** the tenant's usage report (units charged, tasks by status) */
  usage: TenantUsage;
  /** signing secrets, their rotation, a task's webhook deliveries and redelivery */
  webhooks: WebhookDeliveries;
  /** archivedState and archivedUrl (src/services/archive/) */
  archive: ArchiveLinks;
}

/** What every resolver gets: who is calling and the services to call. Built once per request. */
export interface RequestContext {
  tenant: string;
  services: Services;
  /** the Idempotency-Key HTTP header, the default for createLipSync's idempotencyKey */
  idempotencyKey: string | null;
  /** remarks returned in the response's extensions.warnings */
  warnings: string[];
  /** upstream request ids met while answering, for the operation log line */
  upstreamRequestIds: string[];
  /** cache hints set by root fields (see graphql/cacheHints.ts) */
  cacheHints: CacheHint[];
}
