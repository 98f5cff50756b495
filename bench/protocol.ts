/**
 * The IPC between the harness and its child processes. Each child sends `ready` once listening, then
 * answers requests by id; every child can report its own CPU time and memory, so the harness can
 * divide server CPU by requests served ("µs/req") without sharing an event loop with the server.
 */

export interface Usage {
  /** process.cpuUsage(): user and system time in µs since the child started */
  cpu: { user: number; system: number };
  memory: NodeJS.MemoryUsage;
  /** scenario-specific numbers (subscribers, upstream counts, in-flight maxima…) */
  stats: Record<string, number>;
}

export interface ReadyMessage {
  type: 'ready';
  /** base URL the child serves (http://127.0.0.1:port) */
  origin: string;
  extra?: Record<string, string>;
}

export type RequestType = 'usage' | 'gc' | 'resetStats' | 'stop';

export interface ChildRequest {
  id: number;
  type: RequestType;
}

export interface ChildReply {
  id: number;
  usage?: Usage;
  error?: string;
}

export function cpuMicros(usage: Usage): number {
  return usage.cpu.user + usage.cpu.system;
}
