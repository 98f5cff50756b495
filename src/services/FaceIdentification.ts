import type { FaceSession } from '../domain/faceSession';
import { fromKlingFaceSession } from '../mappers/faceSession';
import { toKlingIdentifyFaceBody } from '../mappers/klingAdvancedRequest';
import type { TaskStore } from '../store/TaskStore';
import type { KlingApi } from '../upstream/KlingApi';
import type { TenantCreateLimit } from './TenantCreateLimit';
import type { TenantUnitBudget } from './TenantUnitBudget';

export interface FaceIdentificationOptions {
  store: TaskStore;
  kling: KlingApi;
  now: () => number;
  /** how long a session is accepted (FACE_SESSION_TTL_HOURS) */
  sessionTtlMs: number;
  /** identifications cost units like creates, so they count against the tenant's creates per minute */
  createLimit: TenantCreateLimit;
  /** an identification costs units, so a tenant past its TENANT_MONTHLY_UNITS is refused before Kling is called */
  budget: TenantUnitBudget;
}

/**
 * identifyFaces: Kling's identify-face answers synchronously (docs/kling.md, "Advanced lip-sync"), so there is no
 * task to follow: the answer is kept as the tenant's face session (with what it cost and when this server stops
 * accepting it) and returned. The input was validated by its class rules before this runs.
 */
export class FaceIdentification {
  constructor(private readonly options: FaceIdentificationOptions) {}

  async identify(tenant: string, input: { videoId?: string | null; videoUrl?: string | null }): Promise<FaceSession> {
    const { store, kling, now, sessionTtlMs, createLimit, budget } = this.options;
    await createLimit.take(tenant);
    // An identification is charged only once Kling answers, with no pending row before: it keeps the tenant's turn
    // until its charge is stored, so a burst cannot all pass the budget before the first is counted.
    return budget.withRoom(tenant, null, async () => {
      const answer = await kling.identifyFace(toKlingIdentifyFaceBody(input));
      const session = fromKlingFaceSession(answer.data, tenant, answer.requestId, now(), sessionTtlMs);
      await store.saveFaceSession(session, now());
      return session;
    });
  }
}
