import type { TaskKind } from '../domain/task';
import type {
  KlingAdvancedCreateBody,
  KlingCreateBody,
  KlingFaceSessionData,
  KlingIdentifyFaceBody,
  KlingTaskData,
} from './kling.types';

export interface UpstreamAnswer<T> {
  data: T;
  /** the upstream's request_id: what its support asks for */
  requestId: string | null;
  /** list only: entries left out because they could not be trusted (so "not in the list" proves nothing) */
  unreadable?: number;
}

/**
 * The upstream calls the server makes: create, get and list in the endpoint family of a task's kind
 * (/v1/videos/lip-sync or /v1/videos/advanced-lip-sync), and identify-face. Implemented over HTTP (KlingClient) and in-process
 * (SimulatedKling). Failures are thrown as UpstreamError (src/errors.ts), never as raw fetch errors.
 */
export interface KlingApi {
  readonly kind: 'http' | 'simulated';
  createLipSync(body: KlingCreateBody): Promise<UpstreamAnswer<KlingTaskData>>;
  /** `kind`: the endpoint family the task was created in (default STANDARD) */
  getLipSync(taskId: string, kind?: TaskKind): Promise<UpstreamAnswer<KlingTaskData>>;
  /** pageNum 1..1000, pageSize 1..500; newest first; `kind`: which family's list (default STANDARD) */
  listLipSync(pageNum: number, pageSize: number, kind?: TaskKind): Promise<UpstreamAnswer<KlingTaskData[]>>;
  createAdvancedLipSync(body: KlingAdvancedCreateBody): Promise<UpstreamAnswer<KlingTaskData>>;
  /** synchronous: the session and the faces are in the answer (it costs units) */
  identifyFace(body: KlingIdentifyFaceBody): Promise<UpstreamAnswer<KlingFaceSessionData>>;
  close(): Promise<void>;
}
