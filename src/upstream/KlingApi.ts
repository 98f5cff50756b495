import type { KlingCreateBody, KlingTaskData } from './kling.types';

export interface UpstreamAnswer<T> {
  data: T;
  /** the upstream's request_id: what its support asks for */
  requestId: string | null;
  /** list only: entries left out because they could not be trusted (so "not in the list" proves nothing) */
  unreadable?: number;
}

/**
 * The three upstream calls the server makes. Implemented over HTTP (KlingClient) and in-process
 * (SimulatedKling). Failures are thrown as UpstreamError (src/errors.ts), never as raw fetch errors.
 */
export interface KlingApi {
  readonly kind: 'http' | 'simulated';
  createLipSync(body: KlingCreateBody): Promise<UpstreamAnswer<KlingTaskData>>;
  getLipSync(taskId: string): Promise<UpstreamAnswer<KlingTaskData>>;
  /** pageNum 1..1000, pageSize 1..500; newest first */
  listLipSync(pageNum: number, pageSize: number): Promise<UpstreamAnswer<KlingTaskData[]>>;
  close(): Promise<void>;
}
