import autocannon from 'autocannon';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Child } from './children';
import { GRAPHQL_PATH, JSON_HEADERS } from './graphql';
import { cpuMicros } from './protocol';

export interface LoadRun {
  label: string;
  /** completed 2xx+non-2xx responses in the measured window */
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  /** server-process CPU time per response, µs */
  cpuPerRequestUs: number | null;
  /** target rate for rate-limited runs */
  rate?: number;
  /** requests the fake upstream received in the window, when it was asked to count */
  upstreamCreates?: number;
  /** task reads (watcher polls) the fake upstream received in the window, when it was asked to count */
  upstreamGets?: number;
  /** list pages the fake answered in the window (the watcher's sweeps) */
  upstreamLists?: number;
  /** paced runs: requests sent but unanswered when the window was cut (their latency counts as at least the wait so far) */
  unfinished?: number;
  /** paced runs: stopped before the window's end because the target fell a second behind */
  stoppedEarly?: boolean;
  /** the answering process's event-loop delay over the window (perf_hooks.monitorEventLoopDelay), ms */
  loopDelayP99Ms?: number;
  loopDelayMaxMs?: number;
}

export interface CannonOptions {
  origin: string;
  connections: number;
  seconds: number;
  /** a fixed body, or one built per request (distinct creates) */
  body: string | (() => string);
  overallRate?: number;
  /** request headers (a client's own, bench/graphql.ts CLIENTS); default plain JSON */
  headers?: Record<string, string>;
}

/** One autocannon run against POST /graphql. Latencies in ms (autocannon's resolution is 1 ms). */
export async function cannon(options: CannonOptions): Promise<autocannon.Result> {
  const { body } = options;
  const headers = options.headers ?? JSON_HEADERS;
  const request: autocannon.Request =
    typeof body === 'string'
      ? { method: 'POST', path: GRAPHQL_PATH, headers, body }
      : { method: 'POST', path: GRAPHQL_PATH, headers, setupRequest: (req) => ({ ...req, body: body() }) };
  return autocannon({
    url: options.origin,
    connections: options.connections,
    duration: options.seconds,
    requests: [request],
    timeout: 30,
    ...(options.overallRate
      ? {
          overallRate: options.overallRate,
          // autocannon's correction assumes a 1 ms interval per request, which invents samples; report what was seen
          ignoreCoordinatedOmission: true,
        }
      : {}),
  });
}

/**
 * Warm-up, then a measured autocannon run with the target child's CPU time read on both sides of it (and the
 * fake upstream's create count, when given: every answered create must have reached it once).
 */
export async function measuredCannon(
  label: string,
  target: Child,
  options: CannonOptions & { warmupSeconds: number; countCreatesAt?: Child },
): Promise<LoadRun> {
  if (options.warmupSeconds > 0)
    await cannon({ ...options, seconds: options.warmupSeconds, overallRate: options.overallRate });
  const upstream0 = options.countCreatesAt ? (await options.countCreatesAt.usage()).stats : { create: 0, get: 0 };
  await target.resetStats(); // the event-loop delay histogram starts with the window
  const before = await target.usage();
  const result = await cannon(options);
  const after = await target.usage();
  const upstream1 = options.countCreatesAt ? (await options.countCreatesAt.usage()).stats : { create: 0, get: 0 };
  const requests = result.requests.total;
  return {
    label,
    requests,
    seconds: result.duration,
    rps: requests / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors,
    non2xx: result.non2xx,
    cpuPerRequestUs: requests > 0 ? (cpuMicros(after) - cpuMicros(before)) / requests : null,
    ...(options.overallRate ? { rate: options.overallRate } : {}),
    ...(options.countCreatesAt
      ? {
          upstreamCreates: upstream1.create - upstream0.create,
          upstreamGets: upstream1.get - upstream0.get,
          upstreamLists: upstream1.list - upstream0.list,
        }
      : {}),
    ...loopDelay(after),
  };
}

export interface PacedOptions {
  origin: string;
  /** requests per second, evenly spaced */
  rate: number;
  seconds: number;
  warmupSeconds: number;
  /** most requests open at once (a keep-alive socket each); later ones queue and their wait counts */
  connections: number;
  body: () => string;
  headers?: Record<string, string>;
}

function loopDelay(usage: { stats: Record<string, number> }): Pick<LoadRun, 'loopDelayP99Ms' | 'loopDelayMaxMs'> {
  return { loopDelayP99Ms: usage.stats.loopDelayP99Ms, loopDelayMaxMs: usage.stats.loopDelayMaxMs };
}

/**
 * Open-loop load at an even rate: request i is due at start + i/rate and its latency runs from that moment,
 * so queueing anywhere (server, sockets, this process) counts. autocannon's overallRate instead lets every
 * connection fire its per-second quota back to back at each second boundary, so its "half load" is full
 * load half of the time.
 */
export async function paced(label: string, target: Child, options: PacedOptions): Promise<LoadRun> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  try {
    await pacedWindow(agent, { ...options, seconds: options.warmupSeconds });
    await target.resetStats();
    const before = await target.usage();
    const window = await pacedWindow(agent, options);
    const after = await target.usage();
    const sorted = Float64Array.from(window.latencies).sort();
    const at = (q: number) =>
      sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    return {
      label,
      requests: window.completed,
      seconds: window.seconds,
      rps: window.completed / window.seconds,
      p50: at(0.5),
      p99: at(0.99),
      max: at(1),
      errors: window.errors,
      non2xx: window.non2xx,
      cpuPerRequestUs: window.completed > 0 ? (cpuMicros(after) - cpuMicros(before)) / window.completed : null,
      rate: options.rate,
      unfinished: window.unfinished,
      stoppedEarly: window.stoppedEarly,
      ...loopDelay(after),
    };
  } finally {
    agent.destroy();
  }
}

interface PacedWindow {
  latencies: number[];
  errors: number;
  non2xx: number;
  /** answered (2xx) requests; latencies also holds the cut ones */
  completed: number;
  unfinished: number;
  stoppedEarly: boolean;
  seconds: number;
}

/** A server that cannot keep up would otherwise take minutes to drain its queue. */
const PACED_GRACE_MS = 3_000;

function pacedWindow(agent: http.Agent, options: PacedOptions): Promise<PacedWindow> {
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let sent = 0;
  let settled = 0;
  let done = false;
  const open = new Map<http.ClientRequest, number>();
  const start = performance.now();
  return new Promise((resolve) => {
    if (total === 0)
      return resolve({ latencies, errors, non2xx, completed: 0, unfinished: 0, stoppedEarly: false, seconds: 0 });
    const finish = (stoppedEarly = false) => {
      done = true;
      clearTimeout(cut);
      const now = performance.now();
      const completed = latencies.length;
      // Cut requests are at least this slow: counting them keeps an overloaded server from looking fast.
      for (const due of open.values()) latencies.push(now - due);
      const unfinished = open.size;
      for (const req of open.keys()) req.destroy();
      resolve({ latencies, errors, non2xx, completed, unfinished, stoppedEarly, seconds: (now - start) / 1000 });
    };
    const cut = setTimeout(() => finish(), options.seconds * 1000 + PACED_GRACE_MS);
    const finishOne = (req: http.ClientRequest) => {
      if (done) return;
      open.delete(req);
      settled += 1;
      if (settled === total) finish();
    };
    const send = (due: number) => {
      const body = options.body();
      const req = http.request(
        `${options.origin}${GRAPHQL_PATH}`,
        {
          method: 'POST',
          agent,
          headers: { ...(options.headers ?? JSON_HEADERS), 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (done) return;
            if (res.statusCode === 200) latencies.push(performance.now() - due);
            else non2xx += 1;
            finishOne(req);
          });
        },
      );
      open.set(req, due);
      req.on('error', () => {
        if (done) return;
        errors += 1;
        finishOne(req);
      });
      req.end(body);
    };
    const tick = () => {
      if (done) return;
      // More than a second's worth of requests waiting: the target cannot keep this rate. Stop here rather
      // than build a backlog that would take minutes to drain and spill into the next measurement.
      if (open.size > Math.max(options.rate, options.connections * 4)) return finish(true);
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        send(start + sent * interval);
        sent += 1;
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    tick();
  });
}
