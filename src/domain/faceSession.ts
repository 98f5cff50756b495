import type { FaceInfo } from './task';

/**
 * The answer of one identify-face call, kept per tenant so a later advanced create can be checked before Kling is
 * called (src/services/AdvancedLipSyncRules.ts). `id` is Kling's session_id.
 */
export interface FaceSession {
  id: string;
  tenant: string;
  faces: FaceInfo[];
  /** Kling's final_unit_deduction, when it said */
  unitsCharged: number | null;
  upstreamRequestId: string | null;
  /** epoch ms */
  createdAt: number;
  expiresAt: number;
}
