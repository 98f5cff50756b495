import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ChildReply, ChildRequest, ReadyMessage, Usage } from './protocol';

export interface ChildHooks {
  stats?: () => Record<string, number>;
  resetStats?: () => void;
  stop?: () => Promise<void>;
}

/**
 * The child side of the IPC: report ready, answer usage/gc/stop, and die with the harness (an orphaned
 * server would skew the next run's numbers).
 */
export function serveIpc(ready: ReadyMessage, hooks: ChildHooks = {}): void {
  const send = (message: unknown) => process.send?.(message);
  // How long timers fire late in this process: what a request arriving meanwhile waits before it is even read.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const usage = (): Usage => ({
    cpu: process.cpuUsage(),
    memory: process.memoryUsage(),
    stats: { ...hooks.stats?.(), loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6 },
  });
  process.on('message', (raw) => {
    const request = raw as ChildRequest;
    void answer(request).then(
      (reply) => send(reply),
      (error: unknown) => send({ id: request.id, error: String(error) } satisfies ChildReply),
    );
  });
  process.on('disconnect', () => process.exit(1));
  send(ready);

  async function answer(request: ChildRequest): Promise<ChildReply> {
    switch (request.type) {
      case 'usage':
        return { id: request.id, usage: usage() };
      case 'gc':
        await settleGarbage();
        return { id: request.id, usage: usage() };
      case 'resetStats':
        hooks.resetStats?.();
        loopDelay.reset();
        return { id: request.id, usage: usage() };
      case 'stop':
        await hooks.stop?.();
        setImmediate(() => process.exit(0));
        return { id: request.id, usage: usage() };
    }
  }
}

/** Full collections until RSS stops falling (needs --expose-gc; without it, only waits). */
async function settleGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 4; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
